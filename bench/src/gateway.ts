// bench:gateway — what the edge costs. One upstream (a Trellis service with
// a small JSON route), and in one run, at 50 connections from one load
// generator process:
//   direct to the service;
//   through the Trellis gateway with its full filter chain (anonymous, and
//   signed in with a bearer token, which adds JWT verification, the
//   per-client rate limit and a signed identity assertion the service verifies);
//   through the same gateway with only its routing filters (what security costs);
//   through a bare @fastify/http-proxy (the baseline: one Node process, nothing else);
//   through nginx as a reverse proxy, when Debian's nginx is installed.
// Each proxy is one process. The load generator is wrk when installed,
// autocannon otherwise. Everything stays on 127.0.0.1 and each run is bounded.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from '@trellis/control'
import { generateEdgeKeys } from '@trellis/kit/platform'
import autocannon from 'autocannon'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import { cpuMs, has, waitFor } from './processes.js'
import { machine, median, table } from './report.js'

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))
const DURATION_S = Number(process.env['BENCH_DURATION_S'] ?? 5)
// Rows are measured in turn, round after round, and each figure is the median of its rounds:
// a neighbour's burst of load then hurts one round of every row, not all rounds of one row.
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3)
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 50)
const children: ChildProcess[] = []
const home = await mkdtemp(join(tmpdir(), 'trellis-bench-gw-'))
await chmod(home, 0o755)

function start(entry: string, env: Record<string, string>, args: string[] = []): ChildProcess {
  const child = spawn(
    entry.endsWith('.js') ? process.execPath : entry,
    entry.endsWith('.js') ? [entry, ...args] : args,
    {
      env: { PATH: process.env['PATH'] ?? '', ...env },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  )
  children.push(child)
  return child
}

interface Result {
  rps: number
  p50: number
  p99: number
  /** CPU time the proxy (or, direct, the service) spent per request, in µs: steady on a busy machine, unlike req/s. */
  cpuUs: number
}

/** wrk's latency figures come with units; this returns milliseconds. */
function ms(text: string): number {
  const match = /^([\d.]+)(us|ms|s)$/.exec(text)
  if (!match) return Number.NaN
  const n = Number(match[1])
  return match[2] === 'us' ? n / 1000 : match[2] === 's' ? n * 1000 : n
}

async function load(
  url: string,
  headers: Record<string, string>,
  durationS: number,
): Promise<Omit<Result, 'cpuUs'>> {
  if (has('wrk')) {
    // wrk's own numbers, as it prints them.
    const args = ['-t1', `-c${CONNECTIONS}`, `-d${durationS}s`, '--latency']
    for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}: ${v}`)
    const out = execFileSync('wrk', [...args, url], { encoding: 'utf8' })
    const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out)
    if (non2xx) throw new Error(`${url}: ${non2xx[1]} answers were not 2xx`)
    return {
      rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]),
      p50: ms(/ 50%\s+(\S+)/.exec(out)?.[1] ?? ''),
      p99: ms(/ 99%\s+(\S+)/.exec(out)?.[1] ?? ''),
    }
  }
  const result = await autocannon({ url, headers, connections: CONNECTIONS, duration: durationS })
  if (result.non2xx > 0) throw new Error(`${url}: ${result.non2xx} answers were not 2xx`)
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 }
}

async function measure(url: string, pid: number, headers: Record<string, string> = {}): Promise<Result> {
  await load(url, headers, 2) // warm-up: JIT, keep-alive pools, caches
  const before = cpuMs(pid)
  const result = await load(url, headers, DURATION_S)
  return { ...result, cpuUs: ((cpuMs(pid) - before) * 1000) / (result.rps * DURATION_S) }
}

try {
  const ports = {
    registry: await freePort(),
    service: await freePort(),
    gateway: await freePort(),
    routing: await freePort(),
    fastify: await freePort(),
    nginx: await freePort(),
  }
  const registryUrl = `http://127.0.0.1:${ports.registry}`
  start(join(ROOT, 'platform/registry/dist/main.js'), {
    TRELLIS_REGISTRY_PORT: String(ports.registry),
    TRELLIS_LOG_LEVEL: 'warn',
  })
  await waitFor(`${registryUrl}/health/live`)

  // Access tokens as identity signs them, and the per-run edge key pair.
  const tokenKeys = await generateKeyPair('ES256', { extractable: true })
  const jwks = { keys: [{ ...(await exportJWK(tokenKeys.publicKey)), kid: 'bench', alg: 'ES256' }] }
  const token = await new SignJWT({ roles: ['customer'] })
    .setProtectedHeader({ alg: 'ES256', kid: 'bench', typ: 'at+jwt' })
    .setIssuer('trellis-identity')
    .setAudience('trellis')
    .setSubject('bench-user')
    .setIssuedAt()
    .setExpirationTime('2h')
    .sign(tokenKeys.privateKey)
  const edge = await generateEdgeKeys()

  const servicePid = start(join(ROOT, 'bench/dist/bench-service.js'), {
    TRELLIS_PORT: String(ports.service),
    TRELLIS_REGISTRY_URL: registryUrl,
    TRELLIS_INSTANCE_ID: 'bench-1',
    TRELLIS_EDGE_PUBLIC_KEYS: edge.publicKeys,
    TRELLIS_LOG_LEVEL: 'warn',
    BENCH_JWKS: JSON.stringify(jwks),
  })
  const direct = `http://127.0.0.1:${ports.service}`
  await waitFor(`${direct}/ping`)

  const topology = join(home, 'trellis.yaml')
  await writeFile(topology, 'name: bench\nservices:\n  bench: { path: ., expose: { prefix: /api/bench } }\n')
  const gatewayPid = start(join(ROOT, 'platform/gateway/dist/main.js'), {
    TRELLIS_GATEWAY_PORT: String(ports.gateway),
    TRELLIS_REGISTRY_URL: registryUrl,
    TRELLIS_TOPOLOGY: topology,
    TRELLIS_EDGE_SIGNING_KEY: edge.signingKey,
    // The bench service plays identity (it serves the JWKS).
    TRELLIS_GATEWAY_IDENTITY_SERVICE: 'bench',
    // Limits stay in the chain, set high enough that the load never reaches them.
    TRELLIS_GATEWAY_RATE_LIMIT_IP_PER_S: '10000000',
    TRELLIS_GATEWAY_RATE_LIMIT_IP_BURST: '10000000',
    TRELLIS_GATEWAY_RATE_LIMIT_CLIENT_PER_S: '10000000',
    TRELLIS_GATEWAY_RATE_LIMIT_CLIENT_BURST: '10000000',
    // No proxy in this table writes an access log.
    TRELLIS_GATEWAY_ACCESS_LOG: 'false',
    TRELLIS_LOG_LEVEL: 'warn',
  })
  // The same gateway with only its routing filters: what the security filters cost, measured in the same run.
  const routingPid = start(join(ROOT, 'platform/gateway/dist/main.js'), {
    TRELLIS_GATEWAY_PORT: String(ports.routing),
    TRELLIS_REGISTRY_URL: registryUrl,
    TRELLIS_TOPOLOGY: topology,
    TRELLIS_INSTANCE_ID: 'gateway-routing',
    TRELLIS_GATEWAY_FILTERS:
      'correlation-id,health,path-guard,route-match,proxy,response-headers,problem-response',
    TRELLIS_GATEWAY_ACCESS_LOG: 'false',
    TRELLIS_LOG_LEVEL: 'warn',
  })
  const routing = `http://127.0.0.1:${ports.routing}/api/bench`
  const trellis = `http://127.0.0.1:${ports.gateway}/api/bench`
  const bearer = { authorization: `Bearer ${token}` }
  await waitFor(`${trellis}/ping`)
  await waitFor(`${trellis}/me`, bearer)
  await waitFor(`${routing}/ping`)

  const fastifyPid = start(join(ROOT, 'bench/dist/fastify-proxy.js'), {
    BENCH_UPSTREAM: direct,
    BENCH_PORT: String(ports.fastify),
  })
  const fastify = `http://127.0.0.1:${ports.fastify}/api/bench`
  await waitFor(`${fastify}/ping`)

  let nginx: string | undefined
  let nginxPid = 0
  if (has('nginx')) {
    for (const dir of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'])
      await rm(join(home, dir), { force: true, recursive: true })
    const conf = join(home, 'nginx.conf')
    await writeFile(
      conf,
      `worker_processes 1;
daemon off;
pid ${home}/nginx.pid;
error_log ${home}/nginx-error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${home}/body;
  proxy_temp_path ${home}/proxy;
  fastcgi_temp_path ${home}/fastcgi;
  uwsgi_temp_path ${home}/uwsgi;
  scgi_temp_path ${home}/scgi;
  upstream bench { server 127.0.0.1:${ports.service}; keepalive 64; }
  server {
    listen 127.0.0.1:${ports.nginx};
    location /api/bench/ {
      proxy_pass http://bench/;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`,
    )
    nginxPid = start('nginx', {}, ['-e', join(home, 'nginx-error.log'), '-p', home, '-c', conf]).pid!
    nginx = `http://127.0.0.1:${ports.nginx}/api/bench`
    await waitFor(`${nginx}/ping`)
  } else {
    process.stderr.write('nginx is not installed (apt-get install -y nginx): its row is skipped\n')
  }

  // What to load, and whose CPU time to count: the proxy's (the service's for the direct row).
  const plan: Array<[string, string | undefined, number, Record<string, string>]> = [
    ['direct to the service (no proxy)', `${direct}/ping`, servicePid.pid!, {}],
    ['Trellis gateway, full chain, anonymous', `${trellis}/ping`, gatewayPid.pid!, {}],
    ['Trellis gateway, full chain, bearer token', `${trellis}/me`, gatewayPid.pid!, bearer],
    ['Trellis gateway, routing filters only', `${routing}/ping`, routingPid.pid!, {}],
    ['bare @fastify/http-proxy (baseline)', `${fastify}/ping`, fastifyPid.pid!, {}],
    ['nginx 1 worker', nginx && `${nginx}/ping`, nginxPid, {}],
  ]
  const samples = new Map<string, Result[]>(plan.map(([what]) => [what, []]))
  for (let round = 1; round <= ROUNDS; round++) {
    for (const [what, url, pid, headers] of plan) {
      if (!url) continue
      process.stderr.write(`round ${round}/${ROUNDS}: ${what} …\n`)
      samples.get(what)!.push(await measure(url, pid, headers))
      // Right after the direct row the service is still paying for 15k requests a second (its GC):
      // the next row would be slowed by that, whichever it is. Let it settle first.
      if (url.startsWith(direct)) await new Promise((r) => setTimeout(r, 3_000))
    }
  }
  const rows: Array<[string, Result | undefined]> = plan.map(([what]) => {
    const runs = samples.get(what)!
    if (runs.length === 0) return [what, undefined]
    return [
      what,
      {
        rps: median(runs.map((r) => r.rps)),
        p50: median(runs.map((r) => r.p50)),
        p99: median(runs.map((r) => r.p99)),
        cpuUs: median(runs.map((r) => r.cpuUs)),
      },
    ]
  })

  const base = rows.find(([what]) => what.startsWith('bare'))![1]!
  const directRps = rows[0]![1]!.rps
  console.log(
    `\nbench:gateway — ${CONNECTIONS} connections, ${DURATION_S} s a measurement, median of ${ROUNDS} rounds, load by ${has('wrk') ? 'wrk (1 thread)' : 'autocannon'}`,
  )
  console.log(`machine: ${machine()}\n`)
  console.log(
    table(
      [
        'path',
        'req/s',
        'p50 ms',
        'p99 ms',
        'req/s vs Fastify proxy',
        'CPU µs/req',
        'CPU vs Fastify proxy',
        'share of direct',
      ],
      rows.map(([what, r]) =>
        r
          ? [
              what,
              r.rps.toFixed(0),
              r.p50.toFixed(2),
              r.p99.toFixed(2),
              (r.rps / base.rps).toFixed(2),
              r.cpuUs.toFixed(0),
              // Above 1.0: less CPU per request than the baseline.
              (base.cpuUs / r.cpuUs).toFixed(2),
              `${((100 * r.rps) / directRps).toFixed(0)} %`,
            ]
          : [what, 'skipped (not installed)', '', '', '', '', '', ''],
      ),
    ),
  )
  console.log(
    '\nreq/s and latency are the whole machine sharing 2 cores among load generator, proxy and service;\nCPU µs/req counts the proxy process alone (the service for the direct row) and stays steady when neighbours are busy.',
  )
} finally {
  for (const child of children.reverse()) child.kill('SIGTERM')
  await new Promise((r) => setTimeout(r, 300))
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL')
  await rm(home, { recursive: true, force: true })
}
