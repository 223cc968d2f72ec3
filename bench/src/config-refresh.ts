// bench:config-refresh — how long a configuration change takes to reach
// every instance that it concerns, in the whole local system.
//
// Each change is written through the config server's HTTP API; the clock
// stops when every concerned instance reports the new version in /health
// (polled every 5 ms). Baseline, in the same run: the write itself (the
// POST's round trip), the least a change can cost. The ratio is propagation
// over that round trip.
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startSystem } from '@trellis/control'
import { request } from 'undici'
import { machine, median, table } from './report.js'

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))
const CHANGES = Number(process.env['BENCH_CHANGES'] ?? 20)

const home = await mkdtemp(join(tmpdir(), 'trellis-bench-'))
await chmod(home, 0o755)
const system = await startSystem({
  topologyFile: join(ROOT, 'trellis.yaml'),
  home,
  ports: 'auto',
  out: { write: () => true } as unknown as NodeJS.WritableStream,
})

async function json(url: string, init: { method?: 'GET' | 'POST'; body?: unknown; token?: string } = {}) {
  const res = await request(url, {
    method: init.method ?? 'GET',
    headers: {
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  })
  // biome-ignore lint/suspicious/noExplicitAny: bench reads JSON loosely
  return { status: res.statusCode, body: (await res.body.json()) as any }
}

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

try {
  await system.waitReady(120_000)
  const admin = JSON.parse(await readFile(join(home, 'credentials.json'), 'utf8')).config.adminToken as string
  for (const application of ['catalog', 'inventory'])
    await until(
      async () => (await json(`${system.urls.config}/v1/applications/${application}/schema`)).status === 200,
      30_000,
      `${application} published`,
    )
  const ports = (service?: string) =>
    system
      .status()
      .instances.filter((i) => i.kind === 'service' && (!service || i.service === service))
      .map((i) => i.port!)

  async function measure(application: string, key: string, value: number, instances: number[]) {
    const started = performance.now()
    const write = await json(`${system.urls.config}/v1/revisions`, {
      method: 'POST',
      token: admin,
      body: { message: 'bench', author: 'bench', changes: [{ application, key, value }] },
    })
    const written = performance.now() - started
    if (write.status !== 201) throw new Error(`write failed: ${JSON.stringify(write.body)}`)
    await until(
      async () => {
        const versions = await Promise.all(
          instances.map(async (port) => (await json(`http://127.0.0.1:${port}/health`)).body.config?.version),
        )
        return versions.every((v) => v === write.body.version)
      },
      10_000,
      'every instance at the new version',
    )
    return { written, applied: performance.now() - started }
  }

  const writes: number[] = []
  const one: number[] = []
  const all: number[] = []
  for (let i = 0; i < CHANGES; i++) {
    const service = await measure('catalog', 'defaultPageSize', 10 + (i % 5), ports('catalog'))
    const global = await measure('*', 'kit.deregisterDelayMs', 200 + i, ports())
    writes.push(service.written, global.written)
    one.push(service.applied)
    all.push(global.applied)
  }

  const base = median(writes)
  const row = (what: string, values: number[]) => [
    what,
    median(values).toFixed(1),
    Math.min(...values).toFixed(1),
    Math.max(...values).toFixed(1),
    (median(values) / base).toFixed(1),
  ]
  console.log(
    `\nbench:config-refresh — a change until every concerned instance runs it (${CHANGES} changes each)`,
  )
  console.log(`machine: ${machine()}\n`)
  console.log(
    table(
      ['what', 'median ms', 'min ms', 'max ms', 'ratio to baseline'],
      [
        row('catalog setting → both catalog instances', one),
        row('global kit setting → all 4 service instances', all),
        row('baseline: the write alone (POST round trip)', writes),
      ],
    ),
  )
} finally {
  await system.stop()
  await rm(home, { recursive: true, force: true })
}
