import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { REPO_ROOT } from '@trellis/testing'
import { describe, expect, it } from 'vitest'

/** Starts the gateway process with these settings; answers how it ended and what it printed. */
function startGateway(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'platform/gateway/dist/main.js')], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env['PATH'] ?? '',
      TRELLIS_GATEWAY_PORT: '0',
      // Nothing listens there: the gateway must stop before it needs the registry.
      TRELLIS_REGISTRY_URL: 'http://127.0.0.1:9',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (d) => (output += d))
  child.stderr.on('data', (d) => (output += d))
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, output })
    }),
  )
}

describe('gateway start', () => {
  it('refuses a metrics allow-list entry that is not an address, naming the setting (exit 78)', async () => {
    const { code, output } = await startGateway({ TRELLIS_GATEWAY_METRICS_ALLOW: '10.0.0.0/8, localhost' })
    expect(code).toBe(78)
    expect(output).toContain('TRELLIS_GATEWAY_METRICS_ALLOW: \\"localhost\\" is not an address or a CIDR')
  })

  it('refuses an unknown filter name with the names it knows (exit 78)', async () => {
    const { code, output } = await startGateway({ TRELLIS_GATEWAY_FILTERS: 'health,proxy,nonsense' })
    expect(code).toBe(78)
    expect(output).toContain('unknown gateway filter \\"nonsense\\"')
    expect(output).toContain('metrics')
  })
})
