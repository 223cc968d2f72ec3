import { connect } from 'node:net'

/** The machine's brokers, where CI runs them (127.0.0.1, default ports, default credentials). */
export const LOCAL_BROKERS = {
  rabbitmq: { port: 5672, url: (port = 5672) => `amqp://guest:guest@127.0.0.1:${port}` },
  nats: { port: 4222, url: (port = 4222) => `nats://127.0.0.1:${port}` },
} as const

export type BrokerName = keyof typeof LOCAL_BROKERS

/** True when something accepts TCP connections on 127.0.0.1:port within the timeout. */
export function reachable(port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

/**
 * Whether tests of a broker run here. With TRELLIS_REQUIRE_BROKERS=1 (CI)
 * an absent broker is a failure, never a skip; elsewhere the tests skip
 * and say why.
 */
export async function brokerStatus(
  name: BrokerName,
): Promise<{ run: true } | { run: false; required: boolean; reason: string }> {
  const { port } = LOCAL_BROKERS[name]
  if (await reachable(port)) return { run: true }
  const required = process.env['TRELLIS_REQUIRE_BROKERS'] === '1'
  return {
    run: false,
    required,
    reason: `${name} is not reachable on 127.0.0.1:${port}${required ? ' and TRELLIS_REQUIRE_BROKERS=1 requires it' : '; its tests are skipped (set TRELLIS_REQUIRE_BROKERS=1 to make this a failure)'}`,
  }
}
