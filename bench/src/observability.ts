// bench:observability — what tracing, metrics and logging cost one service.
// Instances of the same service, in one run, on two routes: GET /items/:id
// reads a row from the service's own database (a typical request: two spans,
// the server's and the query's), GET /ping answers from memory (the floor:
// the framework's own cost is all there is to compare with):
//   on:  a server span per request exported over OTLP to a running console,
//        the per-route RED histogram, and an access-log line per request
//        (written to /dev/null: the instance pays for formatting and writing
//        its lines; reading them is another process's work, the control loop's);
//   off: TRELLIS_TRACING_ENABLED=false, TRELLIS_METRICS_REQUESTS=false,
//        TRELLIS_LOG_LEVEL=warn.
// A further row has everything on with a tenth of new traces recorded
// (TRELLIS_TRACING_SAMPLE_RATIO=0.1), the setting for a busy production service.
// Rows are measured in turn, round after round (median of the rounds), at
// 50 connections from one load generator (wrk when installed, autocannon
// otherwise), on 127.0.0.1. The ratio on/off is the figure; the target is 0.85.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { openSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from '@trellis/control'
import { createTestDatabase, startTestPostgres } from '@trellis/testing'
import autocannon from 'autocannon'
import { request } from 'undici'
import { cpuMs, has, waitFor } from './processes.js'
import { machine, median, table } from './report.js'

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))
const DURATION_S = Number(process.env['BENCH_DURATION_S'] ?? 5)
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3)
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 50)
const children: ChildProcess[] = []

const devNull = openSync('/dev/null', 'w')

function start(entry: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, [entry], {
    env: { PATH: process.env['PATH'] ?? '', ...env },
    // Not a pipe read here: reading would cost this process, which also generates the load.
    stdio: ['ignore', devNull, 'inherit'],
  })
  children.push(child)
  return child
}

async function load(url: string, durationS: number): Promise<{ rps: number; p99: number }> {
  if (has('wrk')) {
    const out = execFileSync('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${durationS}s`, '--latency', url], {
      encoding: 'utf8',
    })
    if (/Non-2xx or 3xx responses/.test(out)) throw new Error(`${url}: answers that were not 2xx`)
    const p99 = / 99%\s+([\d.]+)(us|ms|s)/.exec(out)
    const scale = p99?.[2] === 'us' ? 0.001 : p99?.[2] === 's' ? 1000 : 1
    return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]), p99: Number(p99?.[1]) * scale }
  }
  const result = await autocannon({ url, connections: CONNECTIONS, duration: durationS })
  if (result.non2xx > 0) throw new Error(`${url}: ${result.non2xx} answers were not 2xx`)
  return { rps: result.requests.average, p99: result.latency.p99 }
}

const postgres = await startTestPostgres()
try {
  const databaseUrl = await createTestDatabase(postgres.adminUrl, 'observed')
  const ports = {
    console: await freePort(),
    on: await freePort(),
    off: await freePort(),
    tracing: await freePort(),
    sampled: await freePort(),
    metrics: await freePort(),
    logging: await freePort(),
  }
  const consoleUrl = `http://127.0.0.1:${ports.console}`
  const collector = start(join(ROOT, 'platform/console/dist/main.js'), {
    TRELLIS_CONSOLE_PORT: String(ports.console),
    TRELLIS_LOG_LEVEL: 'warn',
  })
  await waitFor(`${consoleUrl}/health/live`)
  const service = join(ROOT, 'bench/dist/observed-service.js')
  const common = { TRELLIS_DATABASE_URL: databaseUrl, TRELLIS_DB_POOL_MAX: '10' }
  const on = start(service, {
    ...common,
    TRELLIS_PORT: String(ports.on),
    TRELLIS_INSTANCE_ID: 'bench-on',
    TRELLIS_LOG_LEVEL: 'info',
    TRELLIS_TRACING_ENDPOINT: consoleUrl,
  })
  const off = start(service, {
    ...common,
    TRELLIS_PORT: String(ports.off),
    TRELLIS_INSTANCE_ID: 'bench-off',
    TRELLIS_LOG_LEVEL: 'warn',
    TRELLIS_TRACING_ENABLED: 'false',
    TRELLIS_METRICS_REQUESTS: 'false',
  })
  // Each on its own, to show where the cost is.
  const OFF = {
    TRELLIS_LOG_LEVEL: 'warn',
    TRELLIS_TRACING_ENABLED: 'false',
    TRELLIS_METRICS_REQUESTS: 'false',
  }
  const only = (port: number, id: string, env: Record<string, string>) =>
    start(service, { ...common, TRELLIS_PORT: String(port), TRELLIS_INSTANCE_ID: id, ...OFF, ...env })
  const tracing = only(ports.tracing, 'bench-tracing', {
    TRELLIS_TRACING_ENABLED: 'true',
    TRELLIS_TRACING_ENDPOINT: consoleUrl,
  })
  // Everything on, a tenth of new traces recorded: what a busy production service would run.
  const sampled = start(service, {
    ...common,
    TRELLIS_PORT: String(ports.sampled),
    TRELLIS_INSTANCE_ID: 'bench-sampled',
    TRELLIS_LOG_LEVEL: 'info',
    TRELLIS_TRACING_ENDPOINT: consoleUrl,
    TRELLIS_TRACING_SAMPLE_RATIO: '0.1',
  })
  const metrics = only(ports.metrics, 'bench-metrics', { TRELLIS_METRICS_REQUESTS: 'true' })
  const logging = only(ports.logging, 'bench-logging', { TRELLIS_LOG_LEVEL: 'info' })
  const at = (port: number, path: string) => `http://127.0.0.1:${port}${path}`
  const rows = [
    { name: 'GET /items/:id, all on', url: at(ports.on, '/items/42'), pid: on.pid! },
    { name: 'GET /items/:id, all off', url: at(ports.off, '/items/42'), pid: off.pid! },
    { name: 'GET /items/:id, tracing only', url: at(ports.tracing, '/items/42'), pid: tracing.pid! },
    {
      name: 'GET /items/:id, all on, 10% of traces',
      url: at(ports.sampled, '/items/42'),
      pid: sampled.pid!,
    },
    { name: 'GET /items/:id, metrics only', url: at(ports.metrics, '/items/42'), pid: metrics.pid! },
    { name: 'GET /items/:id, logging only', url: at(ports.logging, '/items/42'), pid: logging.pid! },
    { name: 'GET /ping, all on', url: at(ports.on, '/ping'), pid: on.pid! },
    { name: 'GET /ping, all off', url: at(ports.off, '/ping'), pid: off.pid! },
  ]
  for (const row of rows) await waitFor(row.url)
  for (const row of rows) await load(row.url, 2) // warm-up: JIT, pools
  const results = new Map(
    rows.map((r) => [r.name, { rps: [] as number[], p99: [] as number[], cpu: [] as number[] }]),
  )
  for (let round = 0; round < ROUNDS; round++) {
    for (const row of rows) {
      const before = cpuMs(row.pid)
      const { rps, p99 } = await load(row.url, DURATION_S)
      const r = results.get(row.name)!
      r.rps.push(rps)
      r.p99.push(p99)
      r.cpu.push(((cpuMs(row.pid) - before) * 1000) / (rps * DURATION_S))
    }
  }
  const figure = (name: string) => {
    const r = results.get(name)!
    return { rps: median(r.rps), p99: median(r.p99), cpu: median(r.cpu) }
  }
  const ratio = (a: string, b: string) => figure(a).rps / figure(b).rps
  const cpuRatio = (a: string, b: string) => figure(a).cpu / figure(b).cpu
  const stored = (await (await request(`${consoleUrl}/api/traces?limit=1`)).body.json()) as {
    stored: { spans: number }
  }
  console.log(
    `bench:observability: one service, ${CONNECTIONS} connections, ${ROUNDS} rounds of ${DURATION_S} s (median), ${has('wrk') ? 'wrk' : 'autocannon'}\n${machine()}\n`,
  )
  console.log(
    table(
      ['instance', 'req/s', 'p99 ms', 'CPU µs/req'],
      rows.map((row) => {
        const f = figure(row.name)
        return [row.name, Math.round(f.rps), f.p99.toFixed(2), f.cpu.toFixed(1)]
      }),
    ),
  )
  console.log(
    `\nthroughput on/off, GET /items/:id: ${ratio(rows[0]!.name, rows[1]!.name).toFixed(3)} (target ≥ 0.85); CPU per request on/off: ${cpuRatio(rows[0]!.name, rows[1]!.name).toFixed(2)}` +
      `\nthroughput on/off, GET /items/:id, 10% of traces: ${ratio(rows[3]!.name, rows[1]!.name).toFixed(3)}; CPU per request on/off: ${cpuRatio(rows[3]!.name, rows[1]!.name).toFixed(2)}` +
      `\nthroughput on/off, GET /ping:      ${ratio(rows[6]!.name, rows[7]!.name).toFixed(3)}; CPU per request on/off: ${cpuRatio(rows[6]!.name, rows[7]!.name).toFixed(2)}` +
      `\nspans the console received: ${stored.stored.spans}`,
  )
  void collector
} finally {
  for (const child of children) child.kill('SIGTERM')
  await new Promise((r) => setTimeout(r, 500))
  await postgres.stop()
}
