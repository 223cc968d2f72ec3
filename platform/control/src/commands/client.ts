import { request } from 'undici'

/** Where the CLI finds the running control loop: TRELLIS_CONTROL_URL, else the lock file's port, else the topology's. */
export async function controlUrl(fallbackPort: number): Promise<string> {
  if (process.env['TRELLIS_CONTROL_URL']) return process.env['TRELLIS_CONTROL_URL'].replace(/\/$/, '')
  return `http://127.0.0.1:${fallbackPort}`
}

export async function callControl(
  base: string,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  try {
    const res = await request(base + path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      headersTimeout: 5_000,
      bodyTimeout: 5_000,
    })
    const text = await res.body.text()
    return { status: res.statusCode, json: text ? JSON.parse(text) : undefined }
  } catch (error) {
    const code = (error as { code?: string }).code
    if (code === 'ECONNREFUSED')
      throw new Error(`Trellis is not running (nothing answers at ${base}). Start it with \`npm start\`.`)
    throw error
  }
}
