import { join, resolve } from 'node:path'
import { Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { type RunningSystem, type SystemOptions, startSystem } from '@trellis/control'
import { tempHome } from './temp-home.js'

export const REPO_ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)))

export interface TestSystem extends RunningSystem {
  /** Every line every instance wrote, prefixed with its key. */
  logs: string[]
}

/**
 * The whole system, started programmatically on free ports with a
 * temporary data folder, logs captured. The embedded Postgres is started
 * unless `postgresUrl` points at a running server.
 */
export async function startTestSystem(options: Partial<SystemOptions> = {}): Promise<TestSystem> {
  const home = await tempHome('trellis-system-')
  const logs: string[] = []
  const system = await startSystem({
    topologyFile: join(REPO_ROOT, 'trellis.yaml'),
    home: home.dir,
    ports: 'auto',
    out: new Writable({ write: (_chunk, _enc, cb) => cb() }),
    onLine: (key, _stream, line) => {
      logs.push(`${key} ${line}`)
      if (logs.length > 20_000) logs.splice(0, 5_000)
    },
    env: { TRELLIS_ENV: 'test', TRELLIS_DEREGISTER_DELAY_MS: '50', ...options.env },
    ...options,
  })
  const stop = system.stop
  return Object.assign(system, {
    logs,
    stop: async () => {
      await stop()
      await home.remove()
    },
  })
}
