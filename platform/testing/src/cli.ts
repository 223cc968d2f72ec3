import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { eventually, http } from './http.js'
import { REPO_ROOT } from './system.js'

/**
 * Runs the `trellis` CLI (`npm run trellis -- …`) as its own process, from
 * the repository's root, and answers its exit code and everything it
 * printed (stdout and stderr, interleaved as they came).
 */
export function runCli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'platform/control/dist/cli.js'), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (d) => (output += d))
  child.stderr.on('data', (d) => (output += d))
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output })))
}

export interface SignedIn {
  accessToken: string
  refreshToken: string
  /** `Authorization: Bearer …`, to spread into a request's headers. */
  headers: { authorization: string }
}

/** Signs in through the gateway, trying again while identity is still starting. */
export async function signIn(gatewayUrl: string, email: string, password: string): Promise<SignedIn> {
  const res = await eventually(
    async () => {
      const r = await http(`${gatewayUrl}/api/identity/login`, { body: { email, password } })
      return r.status === 200 ? r : undefined
    },
    30_000,
    `sign-in of ${email}`,
  )
  const { accessToken, refreshToken } = res.body as { accessToken: string; refreshToken: string }
  return { accessToken, refreshToken, headers: { authorization: `Bearer ${accessToken}` } }
}
