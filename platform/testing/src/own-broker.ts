import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { freePort } from '@trellis/control'
import { reachable } from './brokers.js'
import { eventually } from './http.js'
import { tempHome } from './temp-home.js'

/**
 * A broker process a test owns: its own port, its own data folder, started
 * and stopped by the test. A restart test uses one, never the machine's
 * shared broker, so a failing test cannot leave that one down.
 */
export interface OwnBroker {
  url: string
  port: number
  /** Stops the process (SIGTERM, SIGKILL after a while) and starts it again on the same data. */
  restart(): Promise<void>
  stop(): Promise<void>
}

export const BROKER_BINARIES = {
  nats: '/usr/sbin/nats-server',
  rabbitmq: '/usr/lib/rabbitmq/bin/rabbitmq-server',
} as const

export function brokerBinaryAvailable(name: keyof typeof BROKER_BINARIES): boolean {
  return existsSync(BROKER_BINARIES[name])
}

interface Launch {
  command: string
  args: string[]
  env: Record<string, string>
}

async function own(port: number, launch: Launch, url: string, startTimeoutMs: number): Promise<OwnBroker> {
  let child: ChildProcess | undefined
  let output = ''
  const start = async () => {
    // Its own process group, so that stopping it stops whatever the start script spawned.
    child = spawn(launch.command, launch.args, {
      env: { ...process.env, ...launch.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    })
    child.stdout!.on('data', (d) => (output = (output + d).slice(-4_000)))
    child.stderr!.on('data', (d) => (output = (output + d).slice(-4_000)))
    await eventually(() => reachable(port, 500), startTimeoutMs, `broker on port ${port} (${output})`)
  }
  const stop = async () => {
    const running = child
    child = undefined
    if (!running?.pid || running.exitCode !== null) return
    const exited = new Promise((resolve) => running.once('exit', resolve))
    try {
      process.kill(-running.pid, 'SIGTERM')
    } catch {
      return
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-running.pid!, 'SIGKILL')
      } catch {
        // gone
      }
    }, 15_000)
    await exited
    clearTimeout(timer)
    await eventually(async () => !(await reachable(port, 200)), 15_000, `broker on port ${port} stopped`)
  }
  await start()
  return {
    url,
    port,
    restart: async () => {
      await stop()
      await start()
    },
    stop,
  }
}

/** A NATS server with JetStream on a free port, data in a temporary folder. */
export async function startOwnNats(): Promise<OwnBroker> {
  const home = await tempHome('trellis-nats-')
  const port = await freePort()
  const broker = await own(
    port,
    {
      command: BROKER_BINARIES.nats,
      args: ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', home.dir],
      env: {},
    },
    `nats://127.0.0.1:${port}`,
    20_000,
  )
  return {
    ...broker,
    stop: async () => {
      await broker.stop()
      await home.remove()
    },
  }
}

/** A RabbitMQ node of its own (name, ports, data, no plugins) beside the machine's. Takes seconds to start. */
export async function startOwnRabbitMq(): Promise<OwnBroker> {
  const home = await tempHome('trellis-rabbitmq-')
  const port = await freePort()
  const distPort = await freePort()
  await mkdir(join(home.dir, 'mnesia'))
  await mkdir(join(home.dir, 'log'))
  await writeFile(join(home.dir, 'enabled_plugins'), '[].\n')
  await writeFile(join(home.dir, 'rabbitmq.conf'), `listeners.tcp.default = 127.0.0.1:${port}\n`)
  await writeFile(join(home.dir, 'env.conf'), '')
  const env = {
    HOME: home.dir,
    RABBITMQ_CONF_ENV_FILE: join(home.dir, 'env.conf'),
    RABBITMQ_NODENAME: `trellis-test-${port}@localhost`,
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: join(home.dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(home.dir, 'log'),
    RABBITMQ_CONFIG_FILE: join(home.dir, 'rabbitmq'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(home.dir, 'enabled_plugins'),
    ERL_EPMD_ADDRESS: '127.0.0.1',
  }
  const broker = await own(
    port,
    { command: BROKER_BINARIES.rabbitmq, args: [], env },
    `amqp://guest:guest@127.0.0.1:${port}`,
    90_000,
  )
  return {
    ...broker,
    stop: async () => {
      await broker.stop()
      await home.remove()
    },
  }
}
