// The baseline of bench:gateway: a bare @fastify/http-proxy in front of the
// same upstream, one process, no logger, nothing else.
import proxy from '@fastify/http-proxy'
import Fastify from 'fastify'

const app = Fastify({ logger: false })
await app.register(proxy, {
  upstream: process.env['BENCH_UPSTREAM']!,
  prefix: '/api/bench',
  rewritePrefix: '',
})
await app.listen({ host: '127.0.0.1', port: Number(process.env['BENCH_PORT']) })
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)))
