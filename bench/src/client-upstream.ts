// The upstream of bench:client, in its own process: a bare Node HTTP
// server, and a Moleculer node serving the same answer as an action.
// Reports its ports over IPC and exits when the bench disconnects.
import { createServer } from 'node:http'
import { ServiceBroker } from 'moleculer'

const ANSWER = JSON.stringify({ ok: true, sku: 'TEE-BLACK-S', available: 20, lowStock: false })

const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(ANSWER) })
  res.end(ANSWER)
})
server.keepAliveTimeout = 60_000
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const address = server.address()
const httpPort = typeof address === 'object' && address ? address.port : 0

const moleculerPort = Number(process.env['MOLECULER_PORT'])
const benchPort = Number(process.env['MOLECULER_BENCH_PORT'])
const broker = new ServiceBroker({
  nodeID: 'upstream',
  logger: false,
  transporter: {
    type: 'TCP',
    options: {
      udpDiscovery: false,
      port: moleculerPort,
      urls: [`127.0.0.1:${moleculerPort}/upstream`, `127.0.0.1:${benchPort}/bench`],
    },
  },
})
broker.createService({ name: 'stock', actions: { get: () => JSON.parse(ANSWER) } })
await broker.start()

process.send?.({ httpPort })
process.on('disconnect', () => {
  void broker.stop().finally(() => process.exit(0))
})
