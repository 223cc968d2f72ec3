// bench:messaging — events/s and end-to-end latency of the kit's messaging,
// per transport, against doing without it, in the same run.
//
// Every path moves the same events, over the same transport adapter (same
// client, persistent messages, confirms, manual acks, the kit's prefetch):
//
// - transport alone: publish and acknowledge, no database at all; latency
//   from the publish call to the ack.
// - direct: the same database work as the full path without the outbox and
//   the inbox. The producer commits its rows, then publishes; the consumer
//   commits its effect row (messages that arrive together share a
//   transaction, as in the kit's consumer), then acks. A crash between the
//   commit and the publish loses the event, and a redelivery repeats the
//   effect: what the outbox and the inbox are for.
// - full: the producer commits its rows and the events to its outbox in one
//   transaction; the relay publishes them; the consumer's handler writes the
//   effect row in a transaction with the inbox record.
//
// Latency of direct and full runs from the producer's COMMIT to the
// consumer's COMMIT (both in this process, one clock).
//
// Light load for latency: one event at a time, the next after the previous
// arrived. Throughput: EVENTS events published in transactions of BATCH as
// fast as the producer commits, until the last one is handled.
import { randomBytes } from 'node:crypto'
import {
  compileSubscriptions,
  createEnvelope,
  createLogger,
  createTransport,
  Database,
  type Envelope,
  EventConsumer,
  GroupCommit,
  MESSAGING_MIGRATIONS,
  MESSAGING_NAMESPACE,
  MessagingSettings,
  migrate,
  OutboxRelay,
  type TransportKind,
  writeAllToOutbox,
  writeToOutbox,
} from '@trellis/kit/platform'
import { brokerStatus, createTestDatabase, LOCAL_BROKERS, startTestPostgres } from '@trellis/testing'
import { machineCpuMs } from './processes.js'
import { machine, table } from './report.js'

const EVENTS = Number(process.env['BENCH_EVENTS'] ?? 5_000)
const LATENCY_SAMPLES = Number(process.env['BENCH_SAMPLES'] ?? 200)
const BATCH = 20
// The kit's defaults, for both paths: what a service runs with.
const PREFETCH = Number(process.env['BENCH_PREFETCH'] ?? MessagingSettings.specs.prefetch.default)
const CONSUMER_BATCH = MessagingSettings.specs.consumerBatch.default
// Aggregates (keys) the events are spread over; a key's events are handled one after another.
const KEYS = 64
const STAGE_TIMEOUT_MS = 120_000
const log = createLogger({ service: 'bench', instance: 'bench', level: 'silent' })

interface Figures {
  eventsPerS: number
  /** This process's CPU (producer, relay, consumer, clients) per event in the throughput stage. */
  cpuUsPerEvent: number
  /** The whole machine's CPU per event in that stage: this process, Postgres and the broker. */
  machineUsPerEvent: number
  p50: number
  p99: number
}

function cpuUs(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since)
  return used.user + used.system
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

/** Resolves when `count` signals arrived; rejects after the stage timeout (benchmarks are bounded). */
function waiter() {
  const waiting = new Map<string, (t: number) => void>()
  return {
    expect(id: string): Promise<number> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`event ${id} never arrived`)), STAGE_TIMEOUT_MS)
        waiting.set(id, (t) => {
          clearTimeout(timer)
          resolve(t)
        })
      })
    },
    arrived(id: string) {
      const done = waiting.get(id)
      waiting.delete(id)
      done?.(performance.now())
    },
  }
}

/**
 * The throughput stage: `send` makes, commits or publishes the events
 * numbered `ns` (BATCH at a time, EVENTS in all) and gives back when each
 * arrives; the figures run to the last arrival.
 */
async function throughput(
  latencies: number[],
  send: (ns: number[]) => Promise<Array<Promise<number>>>,
): Promise<Figures> {
  const arrivals: Array<Promise<number>> = []
  const cpu = process.cpuUsage()
  const machineCpu = machineCpuMs()
  const started = performance.now()
  for (let i = LATENCY_SAMPLES; i < LATENCY_SAMPLES + EVENTS; i += BATCH)
    arrivals.push(...(await send(Array.from({ length: BATCH }, (_, j) => i + j))))
  const last = Math.max(...(await Promise.all(arrivals)))
  return {
    eventsPerS: EVENTS / ((last - started) / 1000),
    cpuUsPerEvent: cpuUs(cpu) / EVENTS,
    machineUsPerEvent: ((machineCpuMs() - machineCpu) * 1000) / EVENTS,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  }
}

async function raw(kind: TransportKind, url: string): Promise<Figures> {
  const source = `b${randomBytes(3).toString('hex')}`
  const type = `${source}.bench.raw`
  const publisher = await createTransport({ kind, url, log })
  const consumer = await createTransport({ kind, url, log })
  await Promise.all([publisher.start(), consumer.start()])
  const arrivals = waiter()
  const subscription = await consumer.subscribe(
    { group: `${source}-raw`, patterns: [type], prefetch: PREFETCH },
    (d) => {
      const id = (JSON.parse(Buffer.from(d.body).toString()) as Envelope).id
      void d.ack().then(() => arrivals.arrived(id))
    },
  )
  await subscription.ready()
  await until(() => publisher.connected())
  try {
    const latencies: number[] = []
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      const event = createEnvelope(source, { type, key: `k${i % KEYS}`, data: { i } })
      const arrived = arrivals.expect(event.id)
      const started = performance.now()
      await publisher.publish([event])
      latencies.push((await arrived) - started)
    }
    return await throughput(latencies, async (ns) => {
      const events = ns.map((i) => createEnvelope(source, { type, key: `k${i % KEYS}`, data: { i } }))
      const arrived = events.map((e) => arrivals.expect(e.id))
      await publisher.publish(events)
      return arrived
    })
  } finally {
    await subscription.stop()
    await consumer.close()
    await publisher.close()
    await forget(kind, url, [`${source}-raw`], source)
  }
}

/** The producer's and the consumer's own databases, with the rows each path writes. */
async function databases(postgresUrl: string, migrateMessaging: boolean) {
  const producer = new Database({ url: await createTestDatabase(postgresUrl, 'producer'), log })
  const consumer = new Database({ url: await createTestDatabase(postgresUrl, 'consumer'), log })
  if (migrateMessaging)
    for (const db of [producer, consumer])
      await migrate(db, MESSAGING_MIGRATIONS, { namespace: MESSAGING_NAMESPACE })
  await producer.query('CREATE TABLE facts (n integer PRIMARY KEY)')
  await consumer.query('CREATE TABLE effects (id uuid PRIMARY KEY, n integer NOT NULL)')
  return { producer, consumer }
}

const INSERT_FACTS = 'INSERT INTO facts (n) SELECT unnest($1::integer[])'
const INSERT_EFFECT = 'INSERT INTO effects (id, n) VALUES ($1, $2)'

async function direct(kind: TransportKind, url: string, postgresUrl: string): Promise<Figures> {
  const source = `b${randomBytes(3).toString('hex')}`
  const type = `${source}.bench.direct`
  const group = `${source}-direct`
  const dbs = await databases(postgresUrl, false)
  const publisher = await createTransport({ kind, url, log })
  const consumer = await createTransport({ kind, url, log })
  await Promise.all([publisher.start(), consumer.start()])
  const arrivals = waiter()
  // The kit's batching without its inbox: the ready messages share a transaction.
  const commits = new GroupCommit<Envelope>(
    dbs.consumer,
    {
      id: (e) => e.id,
      record: (items, literal) => `SELECT unnest(ARRAY[${items.map((e) => literal(e.id)).join(',')}]) AS id`,
      run: async (tx, e) => {
        await tx.query(INSERT_EFFECT, [e.id, (e.data as { i: number }).i])
      },
    },
    { maxBatch: CONSUMER_BATCH, concurrency: 2 },
  )
  const subscription = await consumer.subscribe({ group, patterns: [type], prefetch: PREFETCH }, (d) => {
    const event = JSON.parse(Buffer.from(d.body).toString()) as Envelope
    commits.submit(event).then(
      () => {
        arrivals.arrived(event.id)
        void d.ack()
      },
      (error: unknown) => {
        process.stderr.write(`direct consumer: ${String(error)}\n`)
        void d.release(100)
      },
    )
  })
  await subscription.ready()
  await until(() => publisher.connected())
  const event = (i: number) => createEnvelope(source, { type, key: `k${i % KEYS}`, data: { i } })
  try {
    const latencies: number[] = []
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      const e = event(i)
      const arrived = arrivals.expect(e.id)
      await dbs.producer.query(INSERT_FACTS, [[i]])
      const committed = performance.now()
      await publisher.publish([e])
      latencies.push((await arrived) - committed)
    }
    return await throughput(latencies, async (ns) => {
      const events = ns.map(event)
      const arrived = events.map((e) => arrivals.expect(e.id))
      await dbs.producer.query(INSERT_FACTS, [ns])
      await publisher.publish(events)
      return arrived
    })
  } finally {
    await subscription.stop()
    await consumer.close()
    await publisher.close()
    await dbs.producer.close()
    await dbs.consumer.close()
    await forget(kind, url, [group], source)
  }
}

async function full(kind: TransportKind, url: string, postgresUrl: string): Promise<Figures> {
  const source = `b${randomBytes(3).toString('hex')}`
  const type = `${source}.bench.full`
  const group = `${source}-full`
  const dbs = await databases(postgresUrl, true)
  const producerDb = dbs.producer
  const consumerDb = dbs.consumer
  const producerTransport = await createTransport({ kind, url, log })
  const consumerTransport = await createTransport({ kind, url, log })
  await Promise.all([producerTransport.start(), consumerTransport.start()])
  const arrivals = waiter()
  const consumer = new EventConsumer({
    group,
    db: consumerDb,
    transport: consumerTransport,
    log,
    subscriptions: compileSubscriptions({
      [type]: async (event, { tx }) => {
        await tx.query(INSERT_EFFECT, [event.id, (event.data as { i: number }).i])
      },
    }),
    maxAttempts: 5,
    maxDeliveries: 10,
    retryBaseMs: 100,
    retryMaxMs: 5_000,
    prefetch: PREFETCH,
    drainTimeoutMs: 5_000,
    onHandled: (e) => arrivals.arrived(e.id),
  })
  await consumer.start()
  await consumer.ready()
  await until(() => producerTransport.connected())
  const relay = new OutboxRelay({
    db: producerDb,
    transport: producerTransport,
    log,
    batchSize: 100,
    pollMs: 1_000,
    retryBaseMs: 100,
    retryMaxMs: 5_000,
  })
  relay.start()
  // The producer's rows and their events, in one transaction.
  const commit = (drafts: Array<{ i: number }>) =>
    producerDb.tx(async (tx) => {
      await tx.query(INSERT_FACTS, [drafts.map((d) => d.i)])
      return writeAllToOutbox(
        tx,
        source,
        drafts.map((d) => ({ type, key: `k${d.i % KEYS}`, data: d })),
      )
    })
  try {
    const latencies: number[] = []
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      // The event id is known only inside the transaction; expect it from there, time from the commit.
      let arrived: Promise<number> | undefined
      await producerDb.tx(async (tx) => {
        await tx.query(INSERT_FACTS, [[i]])
        const e = await writeToOutbox(tx, source, { type, key: `k${i % KEYS}`, data: { i } })
        arrived = arrivals.expect(e.id)
      })
      const committed = performance.now()
      latencies.push((await arrived!) - committed)
    }
    return await throughput(latencies, async (ns) =>
      (await commit(ns.map((i) => ({ i })))).map((e) => arrivals.expect(e.id)),
    )
  } finally {
    await consumer.stop()
    await relay.stop()
    await consumerTransport.close()
    await producerTransport.close()
    await producerDb.close()
    await consumerDb.close()
    await forget(kind, url, [group], source)
  }
}

async function until(check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error('transport did not connect')
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** Leaves the machine's brokers as they were: the bench's queues, consumers and events go. */
async function forget(kind: TransportKind, url: string, groups: string[], source: string): Promise<void> {
  if (kind === 'rabbitmq') {
    const { default: amqp } = await import('amqplib')
    const connection = await amqp.connect(url)
    const channel = await connection.createChannel()
    for (const g of groups) {
      await channel.deleteQueue(`trellis.${g}`)
      await channel.deleteQueue(`trellis.${g}.dead`)
    }
    await connection.close()
  } else if (kind === 'nats') {
    const { connect } = await import('@nats-io/transport-node')
    const { jetstreamManager } = await import('@nats-io/jetstream')
    const nc = await connect({ servers: url })
    const jsm = await jetstreamManager(nc)
    for await (const info of jsm.consumers.list('TRELLIS_EVENTS'))
      if (groups.some((g) => info.name.startsWith(`${g}_`)))
        await jsm.consumers.delete('TRELLIS_EVENTS', info.name)
    await jsm.streams.purge('TRELLIS_EVENTS', { filter: `trellis.events.${source}.>` })
    await nc.close()
  }
}

const postgres = await startTestPostgres()
const rows: Array<Array<string | number>> = []
const fmt = (n: number) => (n >= 100 ? Math.round(n) : Number(n.toFixed(1)))
const row = (kind: string, path: string, f: Figures, toDirect: string, toTransport: string) => [
  kind,
  path,
  fmt(f.eventsPerS),
  fmt(f.p50),
  fmt(f.p99),
  fmt(f.cpuUsPerEvent),
  fmt(f.machineUsPerEvent),
  toDirect,
  toTransport,
]
try {
  // BENCH_TRANSPORTS=postgres,nats runs only those.
  const only = process.env['BENCH_TRANSPORTS']?.split(',')
  for (const kind of ['postgres', 'rabbitmq', 'nats'] as const) {
    if (only && !only.includes(kind)) continue
    let url: string
    if (kind === 'postgres') url = await createTestDatabase(postgres.adminUrl, 'broker')
    else {
      const status = await brokerStatus(kind)
      if (!status.run) {
        rows.push([kind, 'skipped', status.reason, '', '', '', '', '', ''])
        continue
      }
      url = LOCAL_BROKERS[kind].url()
    }
    process.stderr.write(`bench:messaging ${kind}…\n`)
    const t = await raw(kind, url)
    const d = await direct(kind, url, postgres.adminUrl)
    const f = await full(kind, url, postgres.adminUrl)
    const ratio = (a: Figures, b: Figures) => (a.eventsPerS / b.eventsPerS).toFixed(2)
    rows.push(row(kind, 'transport alone', t, '', '1.00'))
    rows.push(row(kind, 'direct: commit, publish → commit, ack', d, '1.00', ratio(d, t)))
    rows.push(row(kind, 'outbox → transport → inbox', f, ratio(f, d), ratio(f, t)))
  }
} finally {
  await postgres.stop()
}

process.stdout.write(
  `\nbench:messaging — ${EVENTS} events for throughput (transactions of ${BATCH}), ${LATENCY_SAMPLES} one at a time for latency\n${machine()}\n\n${table(
    [
      'transport',
      'path',
      'events/s',
      'p50 ms',
      'p99 ms',
      'bench CPU µs/event',
      'machine CPU µs/event',
      'throughput ratio to direct',
      'to transport alone',
    ],
    rows,
  )}\n`,
)
