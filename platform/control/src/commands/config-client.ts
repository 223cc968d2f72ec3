import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { request } from 'undici'
import { loadCredentials } from '../postgres/credentials.js'
import { callControl } from './client.js'

/**
 * Where `trellis config` finds the config server: TRELLIS_CONFIG_URL, else the
 * port the running control loop reports, else the topology's (or
 * TRELLIS_CONFIG_PORT).
 */
export async function configServerUrl(controlBase: string, fallbackPort: number): Promise<string> {
  const explicit = process.env['TRELLIS_CONFIG_URL']
  if (explicit) return explicit.replace(/\/$/, '')
  const status = await callControl(controlBase, 'GET', '/v1/status').catch(() => undefined)
  const port = (status?.json as { ports?: Record<string, number> } | undefined)?.ports?.['config']
  return `http://127.0.0.1:${port ?? fallbackPort}`
}

/**
 * The admin token: TRELLIS_CONFIG_ADMIN_TOKEN, else the one the control loop
 * generated in the data folder's credentials.json (readable by its owner only).
 */
export async function adminToken(home: string): Promise<string | undefined> {
  const explicit = process.env['TRELLIS_CONFIG_ADMIN_TOKEN']
  if (explicit) return explicit
  const file = join(home, 'credentials.json')
  const exists = await readFile(file).then(
    () => true,
    () => false,
  )
  if (!exists) return undefined
  return (await loadCredentials(file)).config?.adminToken
}

export interface ConfigResponse {
  status: number
  // biome-ignore lint/suspicious/noExplicitAny: CLI output reads the server's JSON loosely
  json: any
}

export async function callConfig(
  base: string,
  method: 'GET' | 'POST',
  path: string,
  options: { body?: unknown; token?: string | undefined } = {},
): Promise<ConfigResponse> {
  try {
    const res = await request(base + path, {
      method,
      headers: {
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    })
    const text = await res.body.text()
    return { status: res.statusCode, json: text ? JSON.parse(text) : undefined }
  } catch (error) {
    const code = (error as { code?: string }).code
    if (code === 'ECONNREFUSED')
      throw new Error(
        `the config server is not running (nothing answers at ${base}). Start Trellis with \`npm start\`, or set TRELLIS_CONFIG_URL.`,
      )
    throw error
  }
}
