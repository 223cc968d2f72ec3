// bench:startup — time from `npm start` to every instance ready.
//
// Cold: a fresh data folder (initdb, migrations, seed data). Warm: the same
// folder again. Baseline, in the same run: the same number of bare Node HTTP
// servers spawned at once until each answers — the floor any multi-process
// system pays on this machine. The ratio is Trellis (warm) over that floor.
import { spawn } from 'node:child_process'
import { chmod, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from '@trellis/control'
import { loadTopology } from '@trellis/kit/platform'
import { request } from 'undici'
import { machine, median, table } from './report.js'

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))
const RUNS = Number(process.env['BENCH_RUNS'] ?? 3)
// Every replica of the topology, plus the registry, the config server and the gateway.
const INSTANCES = (await loadTopology(join(ROOT, 'trellis.yaml'))).services.reduce(
  (n, s) => n + s.replicas,
  3,
)

async function trellisStart(home: string): Promise<number> {
  const env = {
    ...process.env,
    NO_COLOR: '1',
    TRELLIS_HOME: home,
    TRELLIS_GATEWAY_PORT: String(await freePort()),
    TRELLIS_REGISTRY_PORT: String(await freePort()),
    TRELLIS_CONTROL_PORT: String(await freePort()),
    TRELLIS_POSTGRES_PORT: String(await freePort()),
    TRELLIS_CONFIG_PORT: String(await freePort()),
    TRELLIS_CONSOLE_PORT: String(await freePort()),
  }
  const started = performance.now()
  const child = spawn('npm', ['start', '--silent'], { cwd: ROOT, env, stdio: 'ignore', detached: true })
  const exited = new Promise((r) => child.once('exit', r))
  const control = `http://127.0.0.1:${env.TRELLIS_CONTROL_PORT}/v1/status`
  let elapsed = Number.NaN
  const deadline = Date.now() + 120_000
  while (Date.now() < deadline) {
    try {
      const res = await request(control, { headersTimeout: 1_000, bodyTimeout: 1_000 })
      const status = (await res.body.json()) as { instances: Array<{ ready: boolean }> }
      if (status.instances.length >= INSTANCES && status.instances.every((i) => i.ready)) {
        elapsed = performance.now() - started
        break
      }
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 20))
  }
  process.kill(-child.pid!, 'SIGINT')
  await exited
  if (Number.isNaN(elapsed)) throw new Error('the system did not become ready within 120 s')
  return elapsed
}

/** N plain Node processes, each an HTTP server on a free port, spawned at once; done when all answer. */
async function bareProcesses(n: number): Promise<number> {
  const script = `const s=require('http').createServer((q,r)=>r.end('ok'));s.listen(0,'127.0.0.1',()=>process.send(s.address().port));process.on('disconnect',()=>process.exit(0))`
  const started = performance.now()
  const children = Array.from({ length: n }, () =>
    spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] }),
  )
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolvePort) => {
          child.once('message', async (port) => {
            const res = await request(`http://127.0.0.1:${port}/`)
            await res.body.dump()
            resolvePort()
          })
        }),
    ),
  )
  const elapsed = performance.now() - started
  for (const child of children) child.kill()
  return elapsed
}

const cold: number[] = []
const warm: number[] = []
const bare: number[] = []
for (let run = 0; run < RUNS; run++) {
  const home = await mkdtemp(join(tmpdir(), 'trellis-bench-'))
  await chmod(home, 0o755)
  cold.push(await trellisStart(home))
  warm.push(await trellisStart(home))
  bare.push(await bareProcesses(INSTANCES))
  await rm(home, { recursive: true, force: true })
  process.stderr.write(
    `run ${run + 1}/${RUNS}: cold ${cold.at(-1)!.toFixed(0)} ms, warm ${warm.at(-1)!.toFixed(0)} ms, bare ${bare.at(-1)!.toFixed(0)} ms\n`,
  )
}

const floor = median(bare)
console.log(`\nbench:startup — npm start until all ${INSTANCES} instances are ready (median of ${RUNS})`)
console.log(`machine: ${machine()}\n`)
console.log(
  table(
    ['what', 'median ms', 'min ms', 'max ms', 'ratio to baseline'],
    [
      [
        'Trellis, cold (fresh .trellis: initdb, migrations, seeds)',
        median(cold).toFixed(0),
        Math.min(...cold).toFixed(0),
        Math.max(...cold).toFixed(0),
        (median(cold) / floor).toFixed(1),
      ],
      [
        'Trellis, warm (existing data)',
        median(warm).toFixed(0),
        Math.min(...warm).toFixed(0),
        Math.max(...warm).toFixed(0),
        (median(warm) / floor).toFixed(1),
      ],
      [
        `baseline: ${INSTANCES} bare Node HTTP processes`,
        floor.toFixed(0),
        Math.min(...bare).toFixed(0),
        Math.max(...bare).toFixed(0),
        '1.0',
      ],
    ],
  ),
)
