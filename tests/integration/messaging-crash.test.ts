import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { jetstreamManager } from '@nats-io/jetstream'
import { connect as natsConnect } from '@nats-io/transport-node'
import {
  brokerBinaryAvailable,
  brokerStatus,
  createTestDatabase,
  eventually,
  http,
  LOCAL_BROKERS,
  type OwnBroker,
  REPO_ROOT,
  startOwnNats,
  startOwnRabbitMq,
  startTcpProxy,
} from '@trellis/testing'
import amqp from 'amqplib'
import pg from 'pg'
import { afterEach, describe, expect, inject, it } from 'vitest'

// Crash tests with real processes (tests/fixtures/ledger, a small service on
// the built kit): a publisher killed between its commit and the publish, a
// consumer killed mid-handler, and (RabbitMQ, NATS) a broker restarted during
// a stream of events. Every event must arrive and have exactly one effect,
// each key's events in order.
type Kind = 'postgres' | 'rabbitmq' | 'nats'
const LEDGER = join(REPO_ROOT, 'tests/fixtures/ledger/main.mjs')
const children: ChildProcess[] = []
const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL')
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined)
})

interface Ledger {
  child: ChildProcess
  url: string
  logs: string[]
  exited: Promise<unknown>
}

async function startLedger(env: Record<string, string>): Promise<Ledger> {
  const child = spawn(process.execPath, [LEDGER], {
    env: {
      PATH: process.env['PATH'] ?? '',
      TRELLIS_ENV: 'test',
      TRELLIS_PORT: '0',
      TRELLIS_DEREGISTER_DELAY_MS: '0',
      TRELLIS_MESSAGING_LEASE_MS: '2000',
      TRELLIS_MESSAGING_POLL_MS: '200',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  const logs: string[] = []
  let buffer = ''
  const onData = (chunk: Buffer) => {
    buffer += chunk.toString()
    const lines = buffer.split('\n')
    buffer = lines.pop() ?? ''
    logs.push(...lines.filter(Boolean))
  }
  child.stdout!.on('data', onData)
  child.stderr!.on('data', onData)
  const exited = new Promise((resolve) => child.once('exit', resolve))
  const url = await eventually(
    () => {
      if (child.exitCode !== null) throw new Error(`ledger exited: ${logs.slice(-5).join('\n')}`)
      const line = logs.find((l) => l.includes('"msg":"listening"'))
      return line && (JSON.parse(line) as { url: string }).url
    },
    30_000,
    'ledger listening',
  )
  return { child, url, logs, exited }
}

async function killHard(ledger: Ledger): Promise<void> {
  ledger.child.kill('SIGKILL')
  await ledger.exited
}

async function effects(databaseUrl: string) {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    const { rows } = await client.query<{ message_id: string; key: string; seq: number; instance: string }>(
      'SELECT message_id, key, seq, instance FROM effects ORDER BY n',
    )
    return rows
  } finally {
    await client.end()
  }
}

function expectExactlyOnce(
  rows: Array<{ message_id: string; key: string; seq: number }>,
  ids: string[],
  ordered = true,
) {
  expect(rows.map((r) => r.message_id).sort()).toEqual([...ids].sort())
  if (!ordered) return
  const last = new Map<string, number>()
  for (const r of rows) {
    expect(r.seq, `key ${r.key} out of order`).toBeGreaterThan(last.get(r.key) ?? -1)
    last.set(r.key, r.seq)
  }
}

async function emit(ledger: Ledger, body: { count: number; keys: number; from: number; hang?: boolean }) {
  const res = await http<{ ids: string[] }>(`${ledger.url}/emit`, { body })
  expect(res.status).toBe(200)
  return res.body.ids
}

/** Removes a test group's queues or consumers from the machine's shared broker. */
async function forgetGroup(kind: Kind, group: string, brokerUrl: string): Promise<void> {
  if (kind === 'rabbitmq') {
    const connection = await amqp.connect(brokerUrl)
    const channel = await connection.createChannel()
    await channel.deleteQueue(`trellis.${group}`)
    await channel.deleteQueue(`trellis.${group}.dead`)
    await connection.close()
  } else if (kind === 'nats') {
    const nc = await natsConnect({ servers: brokerUrl })
    const jsm = await jetstreamManager(nc)
    for await (const info of jsm.consumers.list('TRELLIS_EVENTS'))
      if (info.name.startsWith(`${group}_`)) await jsm.consumers.delete('TRELLIS_EVENTS', info.name)
    await jsm.streams.purge('TRELLIS_EVENTS', { filter: `trellis.events.${group}.>` })
    await nc.close()
  }
}

async function setting(kind: Kind): Promise<{ url: string; port: number }> {
  if (kind === 'postgres') {
    const url = await createTestDatabase(inject('postgresUrl'), 'broker')
    return { url, port: Number(new URL(url).port) }
  }
  return { url: LOCAL_BROKERS[kind].url(), port: LOCAL_BROKERS[kind].port }
}

function through(kind: Kind, url: string, port: number): string {
  const u = new URL(url)
  u.port = String(port)
  return kind === 'postgres' ? u.toString() : u.toString().replace(/\/$/, '')
}

const gates = await Promise.all(
  (['postgres', 'rabbitmq', 'nats'] as const).map(async (kind) => ({
    kind,
    status: kind === 'postgres' ? ({ run: true } as const) : await brokerStatus(kind),
  })),
)

for (const { kind, status } of gates) {
  if (!status.run) {
    if (status.required) it(`${kind} crash tests need ${kind}`, () => expect.fail(status.reason))
    else
      describe.skip(`${kind} crash tests (skipped: ${status.reason})`, () => it('crashes', () => undefined))
    continue
  }
  describe(`${kind}: processes killed at the worst moment`, () => {
    async function ledgerEnv() {
      const group = `ledger-${randomBytes(3).toString('hex')}`
      const broker = await setting(kind)
      cleanups.push(() => forgetGroup(kind, group, broker.url))
      return {
        broker,
        group,
        databaseUrl: await createTestDatabase(inject('postgresUrl'), 'ledger'),
        env: (brokerUrl: string, databaseUrl: string, extra: Record<string, string> = {}) => ({
          LEDGER_NAME: group,
          LEDGER_TYPE: `${group}.entry.added`,
          TRELLIS_MESSAGING_TRANSPORT: kind,
          TRELLIS_BROKER_URL: brokerUrl,
          TRELLIS_DATABASE_URL: databaseUrl,
          ...extra,
        }),
      }
    }

    it('delivers what a publisher committed before it was killed, once', async () => {
      const { broker, databaseUrl, env } = await ledgerEnv()
      // First make sure the group exists on the broker (a group gets what is published after it subscribed).
      const first = await startLedger(env(broker.url, databaseUrl))
      await killHard(first)
      const proxy = await startTcpProxy(broker.port)
      cleanups.push(() => proxy.close())
      proxy.cut()
      const publisher = await startLedger(env(through(kind, broker.url, proxy.port), databaseUrl))
      const ids = await emit(publisher, { count: 20, keys: 4, from: 0 })
      const stats = await http(`${publisher.url}/messaging/stats`)
      expect(stats.body.outbox.pending).toBe(20)
      expect(stats.body.connected).toBe(false)
      await killHard(publisher)

      await startLedger(env(broker.url, databaseUrl))
      await eventually(async () => (await effects(databaseUrl)).length >= 20, 60_000, '20 effects')
      expectExactlyOnce(await effects(databaseUrl), ids)
    })

    it('redelivers what a consumer was handling when it was killed, with one effect', async () => {
      const { broker, databaseUrl, env } = await ledgerEnv()
      const doomed = await startLedger(env(broker.url, databaseUrl, { LEDGER_HANG: '1' }))
      const [stuck] = await emit(doomed, { count: 1, keys: 1, from: 0, hang: true })
      const rest = await emit(doomed, { count: 9, keys: 3, from: 1 })
      await eventually(
        () => doomed.logs.some((l) => l.includes('handler hanging')),
        30_000,
        'handler hanging',
      )
      await killHard(doomed)

      const survivor = await startLedger(env(broker.url, databaseUrl, { TRELLIS_INSTANCE_ID: 'survivor' }))
      await eventually(async () => (await effects(databaseUrl)).length >= 10, 60_000, '10 effects')
      const rows = await effects(databaseUrl)
      // NATS 2.9 redelivers what a dead consumer held in no particular order (docs/messaging.md, Order).
      expectExactlyOnce(rows, [stuck!, ...rest], kind !== 'nats')
      expect(rows.find((r) => r.message_id === stuck)?.instance).toBe('survivor')
      await killHard(survivor)
    })
  })
}

for (const kind of ['rabbitmq', 'nats'] as const) {
  const available = brokerBinaryAvailable(kind)
  const required = process.env['TRELLIS_REQUIRE_BROKERS'] === '1'
  if (!available) {
    const reason = `no ${kind} server binary on this machine`
    if (required) it(`${kind} restart test needs the ${kind} server`, () => expect.fail(reason))
    else describe.skip(`${kind} restart (skipped: ${reason})`, () => it('restart', () => undefined))
    continue
  }
  describe(`${kind}: broker restarted during a stream of events`, () => {
    it('delivers every event once, in order per key', async () => {
      const broker: OwnBroker = kind === 'nats' ? await startOwnNats() : await startOwnRabbitMq()
      cleanups.push(() => broker.stop())
      const databaseUrl = await createTestDatabase(inject('postgresUrl'), 'ledger')
      const ledger = await startLedger({
        TRELLIS_MESSAGING_TRANSPORT: kind,
        TRELLIS_BROKER_URL: broker.url,
        TRELLIS_DATABASE_URL: databaseUrl,
      })
      await eventually(
        async () => (await http(`${ledger.url}/messaging/stats`)).body.connected,
        30_000,
        'connected',
      )
      const ids: string[] = []
      let restarting: Promise<void> | undefined
      for (let batch = 0; batch < 20; batch++) {
        ids.push(...(await emit(ledger, { count: 10, keys: 5, from: batch * 10 })))
        if (batch === 5) restarting = broker.restart()
        await new Promise((r) => setTimeout(r, 50))
      }
      await restarting
      await eventually(async () => (await effects(databaseUrl)).length >= 200, 90_000, '200 effects')
      expectExactlyOnce(await effects(databaseUrl), ids)
      await killHard(ledger)
    }, 180_000)
  })
}
