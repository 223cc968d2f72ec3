// bench:client — the cost of the kit's call client over a bare HTTP client.
//
// One upstream process (client-upstream.ts) answers a small JSON document.
// In the same run, against that upstream, each row makes the same call from
// CONCURRENCY workers for DURATION_MS after a warm-up:
//   (a) bare undici: a keep-alive Pool, request + JSON parse;
//   (b) the kit client with every policy on: deadline, retries with budget,
//       circuit breaker, bulkhead, outlier ejection, balancing, metrics;
//   (c) Moleculer 0.14 (npm; 0.15 needs Node 22) calling the same answer as a remote action over its
//       TCP transporter, with its timeout, retry, breaker and bulkhead on.
// Prints requests/s, p50 and p99 latency, and the ratio to bare undici.
// Everything stays on 127.0.0.1; every loop is bounded in time.
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { freePort } from '@trellis/control'
import { clientFor } from '@trellis/kit'
import { ServiceBroker } from 'moleculer'
import { Pool } from 'undici'
import { machine, table } from './report.js'

const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 32)
const DURATION_MS = Number(process.env['BENCH_DURATION_MS'] ?? 3_000)
const WARMUP_MS = Number(process.env['BENCH_WARMUP_MS'] ?? 1_000)

interface Result {
  name: string
  requests: number
  errors: number
  ms: number
  latencies: number[]
  /** This process's CPU time per call (user + system), which moves less than throughput when neighbours load the machine. */
  cpuUsPerCall: number
}

async function measure(name: string, call: () => Promise<unknown>): Promise<Result> {
  const run = async (ms: number, record: boolean) => {
    const latencies: number[] = []
    let errors = 0
    const until = performance.now() + ms
    const worker = async () => {
      while (performance.now() < until) {
        const started = performance.now()
        try {
          await call()
          if (record) latencies.push(performance.now() - started)
        } catch {
          errors += 1
        }
      }
    }
    const started = performance.now()
    const cpu = process.cpuUsage()
    await Promise.all(Array.from({ length: CONCURRENCY }, worker))
    const used = process.cpuUsage(cpu)
    return { latencies, errors, ms: performance.now() - started, cpuUs: used.user + used.system }
  }
  await run(WARMUP_MS, false)
  const { latencies, errors, ms, cpuUs } = await run(DURATION_MS, true)
  process.stderr.write(`${name}: ${latencies.length} calls, ${errors} errors\n`)
  return {
    name,
    requests: latencies.length,
    errors,
    ms,
    latencies,
    cpuUsPerCall: cpuUs / Math.max(1, latencies.length + errors),
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN
}

const moleculerPort = await freePort()
const benchPort = await freePort()
const upstream = fork(fileURLToPath(new URL('./client-upstream.js', import.meta.url)), {
  env: { ...process.env, MOLECULER_PORT: String(moleculerPort), MOLECULER_BENCH_PORT: String(benchPort) },
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
})
const { httpPort } = await new Promise<{ httpPort: number }>((resolve) =>
  upstream.once('message', resolve as never),
)
const origin = `http://127.0.0.1:${httpPort}`

// Rows take turns, ROUNDS times, so that warm-up and the machine's other
// load do not favour whichever row runs first; each row's figure is the
// median of its rounds.
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3)
const pool = new Pool(origin, { connections: 64, keepAliveTimeout: 10_000 })
// Every policy on, at its defaults: 2 s deadline, 2 retries with budget,
// breaker after 5 failures, bulkhead 64 + 16 queued, ejection after 3.
const kit = clientFor('inventory', [origin])
const broker = new ServiceBroker({
  nodeID: 'bench',
  logger: false,
  requestTimeout: 2_000,
  retryPolicy: { enabled: true, retries: 2, delay: 20, maxDelay: 500, factor: 2 },
  circuitBreaker: { enabled: true, threshold: 0.5, minRequestCount: 20, windowTime: 60, halfOpenTime: 5_000 },
  bulkhead: { enabled: true, concurrency: 64, maxQueueSize: 16 },
  transporter: {
    type: 'TCP',
    options: {
      udpDiscovery: false,
      port: benchPort,
      urls: [`127.0.0.1:${moleculerPort}/upstream`, `127.0.0.1:${benchPort}/bench`],
    },
  },
})
const rows: Array<[string, () => Promise<unknown>]> = [
  [
    'bare undici (Pool, request + JSON)',
    async () => (await pool.request({ path: '/stock/TEE-BLACK-S', method: 'GET' })).body.json(),
  ],
  [
    'Trellis kit client (every policy on)',
    () => kit.get('/stock/:sku', { params: { sku: 'TEE-BLACK-S' }, parent: { id: 'bench' } }),
  ],
  [
    'Moleculer 0.14 (TCP transporter; timeout, retry, breaker, bulkhead on)',
    () => broker.call('stock.get', { sku: 'TEE-BLACK-S' }),
  ],
]
const rounds = new Map<string, Result[]>(rows.map(([name]) => [name, []]))
try {
  await broker.start()
  await broker.waitForServices(['stock'], 10_000)
  for (let round = 0; round < ROUNDS; round++)
    for (const [name, call] of rows) rounds.get(name)!.push(await measure(name, call))
} finally {
  await broker.stop()
  await kit.close()
  await pool.close()
  upstream.disconnect()
}
const results: Result[] = [...rounds.values()].map((rs) => {
  const byRate = [...rs].sort((a, b) => a.requests / a.ms - b.requests / b.ms)
  const mid = byRate[Math.floor(byRate.length / 2)]!
  return { ...mid, latencies: rs.flatMap((r) => r.latencies), errors: rs.reduce((n, r) => n + r.errors, 0) }
})

const bare = results[0]!
const rate = (r: Result) => (r.requests / r.ms) * 1000
console.log(
  `\nbench:client — one small JSON call, ${CONCURRENCY} concurrent callers, ${ROUNDS} rounds of ${DURATION_MS / 1000} s per row (median round; latencies of all rounds)`,
)
console.log(`machine: ${machine()}\n`)
console.log(
  table(
    [
      'client',
      'requests/s',
      'p50 ms',
      'p99 ms',
      'errors',
      'ratio to bare undici',
      'client CPU µs/call',
      'CPU ratio (bare / row)',
    ],
    results.map((r) => {
      const sorted = [...r.latencies].sort((a, b) => a - b)
      return [
        r.name,
        rate(r).toFixed(0),
        percentile(sorted, 50).toFixed(2),
        percentile(sorted, 99).toFixed(2),
        r.errors,
        (rate(r) / rate(bare)).toFixed(2),
        r.cpuUsPerCall.toFixed(1),
        (bare.cpuUsPerCall / r.cpuUsPerCall).toFixed(2),
      ]
    }),
  ),
)
console.log(
  '\nrequests/s and latency are the whole machine (caller and upstream share its cores); client CPU counts this process alone and moves less when neighbours are busy.',
)
