import { userInfo } from 'node:os'
import { adminToken, type ConfigResponse, callConfig } from './config-client.js'
import { formatDiff, formatEffective, formatHistory, formatRevision } from './config-format.js'

export interface ConfigCommandOptions {
  /** Config server base URL. */
  base: string
  /** The data folder (for the admin token). */
  home: string
  profile?: string | undefined
  instance?: string | undefined
  message?: string | undefined
  author?: string | undefined
  reveal: boolean
  json: boolean
  limit?: string | undefined
  out: (text: string) => void
}

export const CONFIG_USAGE = `Usage:
  trellis config get <app> [key] [--profile local] [--instance id] [--reveal]
  trellis config set <app> <key> <value> [--profile default] [--instance id] [-m message]
  trellis config unset <app> <key> [--profile default] [--instance id] [-m message]
  trellis config history <app> [--limit 20]
  trellis config diff <app> <from> [to] [--profile local] [--instance id]
  trellis config rollback <app> <version> [--profile p] [-m message]
<app> is a service name, or \`global\` for every application.`

/** `trellis config …`: read and change central configuration. Returns the exit code. */
export async function configCommand(args: string[], options: ConfigCommandOptions): Promise<number> {
  const [action, rawApp, ...rest] = args
  if (!action || !rawApp) throw new Error(CONFIG_USAGE)
  const app = rawApp === 'global' ? '*' : rawApp
  const path = `/v1/applications/${encodeURIComponent(app)}`
  const author = options.author ?? currentUser()
  const print = (res: ConfigResponse, format: () => string) => {
    if (res.status >= 300) return failed(res)
    options.out(options.json ? JSON.stringify(res.json, null, 2) : format())
    return 0
  }
  const admin = async () => {
    const token = await adminToken(options.home)
    if (!token)
      throw new Error(
        `no admin token: set TRELLIS_CONFIG_ADMIN_TOKEN, or run from the system's folder (its credentials are in ${options.home})`,
      )
    return token
  }

  switch (action) {
    case 'get': {
      const [key] = rest
      const query = new URLSearchParams({ profile: options.profile ?? 'local' })
      if (options.instance) query.set('instance', options.instance)
      if (options.reveal) query.set('reveal', 'true')
      const res = await callConfig(options.base, 'GET', `${path}/config?${query}`, {
        token: options.reveal ? await admin() : undefined,
      })
      if (res.status >= 300) return failed(res)
      const schema = app === '*' ? undefined : await callConfig(options.base, 'GET', `${path}/schema`)
      if (key) {
        const value = Object.hasOwn(res.json.values, key)
          ? res.json.values[key]
          : schema?.json?.settings?.[key]?.default
        options.out(typeof value === 'string' ? value : JSON.stringify(value))
        return Object.hasOwn(res.json.values, key) || schema?.json?.settings?.[key] ? 0 : 1
      }
      return print(res, () => formatEffective(res.json, schema?.status === 200 ? schema.json : undefined))
    }
    case 'set':
    case 'unset': {
      const [key, value] = rest
      if (!key || (action === 'set' && value === undefined)) throw new Error(CONFIG_USAGE)
      const change = {
        application: app,
        profile: options.profile ?? 'default',
        ...(options.instance ? { instance: options.instance } : {}),
        key,
        ...(action === 'set' ? { value } : { remove: true }),
      }
      const res = await callConfig(options.base, 'POST', '/v1/revisions', {
        token: await admin(),
        body: {
          author,
          message: options.message ?? `${action} ${rawApp} ${key}`,
          changes: [change],
        },
      })
      return print(res, () => formatRevision(res.json))
    }
    case 'history': {
      const query = new URLSearchParams({ limit: options.limit ?? '20' })
      if (app !== '*') query.set('application', app)
      const res = await callConfig(options.base, 'GET', `/v1/revisions?${query}`)
      return print(res, () => formatHistory(res.json.items))
    }
    case 'diff': {
      const [from, to] = rest
      if (!from || !/^\d+$/.test(from) || (to !== undefined && !/^\d+$/.test(to)))
        throw new Error(CONFIG_USAGE)
      const query = new URLSearchParams({ profile: options.profile ?? 'local', from })
      if (to) query.set('to', to)
      if (options.instance) query.set('instance', options.instance)
      const res = await callConfig(options.base, 'GET', `${path}/diff?${query}`)
      return print(res, () => formatDiff(res.json))
    }
    case 'rollback': {
      const [version] = rest
      if (!version || !/^\d+$/.test(version)) throw new Error(CONFIG_USAGE)
      const res = await callConfig(options.base, 'POST', `${path}/rollback`, {
        token: await admin(),
        body: {
          to: Number(version),
          author,
          ...(options.profile ? { profile: options.profile } : {}),
          ...(options.message ? { message: options.message } : {}),
        },
      })
      return print(res, () =>
        res.json.changed
          ? formatRevision(res.json)
          : `nothing to roll back: already as at version ${version}`,
      )
    }
    default:
      throw new Error(`unknown config command ${JSON.stringify(action)}\n${CONFIG_USAGE}`)
  }
}

function failed(res: ConfigResponse): number {
  const problem = res.json as { detail?: string; errors?: Array<{ key: string; reason: string }> } | undefined
  process.stderr.write(`trellis: ${problem?.detail ?? `the config server answered ${res.status}`}\n`)
  return 1
}

function currentUser(): string {
  try {
    return userInfo().username
  } catch {
    return 'unknown'
  }
}
