import { type ChildProcess, spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { freePort } from '@trellis/control'
import { eventually, http, processAlive, REPO_ROOT, tempHome } from '@trellis/testing'
import { afterEach, describe, expect, it } from 'vitest'

// `npm start` runs exactly this: the CLI's `up` as its own process.
const CLI = join(REPO_ROOT, 'platform/control/dist/cli.js')
const children: ChildProcess[] = []
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL')
})

async function ports() {
  return {
    TRELLIS_GATEWAY_PORT: String(await freePort()),
    TRELLIS_REGISTRY_PORT: String(await freePort()),
    TRELLIS_CONTROL_PORT: String(await freePort()),
    TRELLIS_POSTGRES_PORT: String(await freePort()),
    TRELLIS_CONFIG_PORT: String(await freePort()),
    TRELLIS_CONSOLE_PORT: String(await freePort()),
  }
}

function trellis(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  let output = ''
  child.stdout!.on('data', (d) => (output += d))
  child.stderr!.on('data', (d) => (output += d))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return { child, exited, output: () => output }
}

describe('trellis up', () => {
  it('starts the system, reports status, and stops everything on Ctrl-C without orphans', async () => {
    const home = await tempHome()
    const env = { ...(await ports()), TRELLIS_HOME: home.dir }
    const up = trellis(['up'], env)
    await eventually(() => up.output().includes('Trellis is up in'), 90_000, 'system up')
    const control = `http://127.0.0.1:${env.TRELLIS_CONTROL_PORT}`
    const status = (await http(`${control}/v1/status`)).body
    expect(status.instances.map((i: { key: string }) => i.key)).toContain('config-1')
    expect(status.instances.map((i: { key: string }) => i.key)).toContain('console-1')
    expect(status.instances).toHaveLength(17)
    const pids: number[] = [...status.instances.map((i: { pid: number }) => i.pid), status.postgres.pid]

    const cli = trellis(['status'], env)
    expect(await cli.exited).toBe(0)
    expect(cli.output()).toMatch(/catalog-1\s+running\s+yes/)

    const products = await http(`http://127.0.0.1:${env.TRELLIS_GATEWAY_PORT}/api/catalog/products?limit=3`)
    expect(products.body.items).toHaveLength(3)

    up.child.kill('SIGINT')
    expect(await up.exited).toBe(0)
    expect(up.output()).toMatch(/trellis\s+\| stopped/)
    for (const pid of pids) expect(processAlive(pid), `pid ${pid} still alive`).toBe(false)
    await home.remove()
  })

  it('refuses to start when a port is taken, naming the port and the setting', async () => {
    const env = await ports()
    const blocker = createServer()
    await new Promise<void>((resolve) =>
      blocker.listen(Number(env.TRELLIS_GATEWAY_PORT), '127.0.0.1', resolve),
    )
    const home = await tempHome()
    const up = trellis(['up'], { ...env, TRELLIS_HOME: home.dir })
    expect(await up.exited).toBe(1)
    expect(up.output()).toContain(
      `ports already in use: ${env.TRELLIS_GATEWAY_PORT} (gateway; set TRELLIS_GATEWAY_PORT)`,
    )
    expect(up.output()).not.toMatch(/\n\s+at /)
    blocker.close()
    await home.remove()
  })

  it('refuses to start when the config server port is taken, naming it and its setting', async () => {
    const env = await ports()
    const blocker = createServer()
    await new Promise<void>((resolve) =>
      blocker.listen(Number(env.TRELLIS_CONFIG_PORT), '127.0.0.1', resolve),
    )
    const home = await tempHome()
    const up = trellis(['up'], { ...env, TRELLIS_HOME: home.dir })
    expect(await up.exited).toBe(1)
    expect(up.output()).toContain(`${env.TRELLIS_CONFIG_PORT} (config; set TRELLIS_CONFIG_PORT)`)
    blocker.close()
    await home.remove()
  })

  it.each(['/proc/trellis-cannot-live-here', '/etc/hostname/trellis'])(
    'refuses to start on an unusable data folder (%s), with a message instead of a stack trace',
    async (dir) => {
      const up = trellis(['up'], { ...(await ports()), TRELLIS_HOME: dir })
      expect(await up.exited).toBe(1)
      expect(up.output()).toContain(`the data folder ${dir} is unusable`)
      expect(up.output()).not.toMatch(/\n\s+at /)
    },
  )

  it('says so when asked for status while nothing runs', async () => {
    const cli = trellis(['status'], { TRELLIS_CONTROL_PORT: String(await freePort()) })
    expect(await cli.exited).toBe(1)
    expect(cli.output()).toContain('Trellis is not running')
  })
})
