import type { Server } from 'node:http'
import type { FastifyInstance } from 'fastify'
import { KitErrors } from '../errors/kit-errors.js'
import type { Logger } from '../log/logger.js'

const draining = new WeakSet<FastifyInstance>()
const inFlight = new WeakMap<Server, { requests: number }>()

/**
 * Counts the requests a server is handling. Node's idle sweep misses
 * connections that never sent a request (a client's pre-opened keep-alive
 * socket), so draining needs to know when nothing is in flight: then every
 * remaining connection can be closed at once.
 */
export function trackInFlight(server: Server): void {
  if (inFlight.has(server)) return
  const counter = { requests: 0 }
  inFlight.set(server, counter)
  server.on('request', (_request, response) => {
    counter.requests += 1
    response.once('close', () => {
      counter.requests -= 1
    })
  })
}

/**
 * While draining, a request that still arrives on a kept-alive connection
 * gets a retryable 503 problem, and every response tells the client to drop
 * its connection, so the next request goes to another instance.
 */
export function installDrainHook(app: FastifyInstance): void {
  trackInFlight(app.server)
  app.addHook('onRequest', async () => {
    if (draining.has(app)) throw KitErrors.shuttingDown()
  })
  app.addHook('onSend', async (_request, reply) => {
    if (draining.has(app)) reply.header('connection', 'close')
  })
}

/**
 * Stops accepting connections and waits for in-flight requests, at most
 * `timeoutMs`. Node closes idle keep-alive connections only once, when the
 * close starts; a connection that goes idle afterwards (its last request just
 * finished) would hold the close until its keep-alive timeout, and one that
 * never sent a request is not idle to Node at all. So responses sent while
 * draining say `Connection: close`, idle connections are swept until the
 * server is closed, and once no request is in flight every connection left
 * is closed.
 */
export async function closeGracefully(app: FastifyInstance, timeoutMs: number, log: Logger): Promise<void> {
  draining.add(app)
  await drain(app.server, () => app.close(), timeoutMs, log)
}

/**
 * The same for a plain Node server (the gateway); its responses must add
 * `Connection: close` themselves, and it must have been tracked
 * (`trackInFlight`) from its creation.
 */
export async function drainServer(server: Server, timeoutMs: number, log: Logger): Promise<void> {
  await drain(server, () => new Promise<void>((resolve) => server.close(() => resolve())), timeoutMs, log)
}

async function drain(
  server: Server,
  close: () => Promise<unknown>,
  timeoutMs: number,
  log: Logger,
): Promise<void> {
  const counter = inFlight.get(server)
  const sweep = setInterval(() => {
    if (counter?.requests === 0) server.closeAllConnections()
    else server.closeIdleConnections()
  }, 50)
  const force = setTimeout(() => {
    log.warn({ timeoutMs }, 'in-flight requests did not finish in time; closing their connections')
    server.closeAllConnections()
  }, timeoutMs)
  try {
    const closing = close()
    server.closeIdleConnections()
    await closing
  } finally {
    clearInterval(sweep)
    clearTimeout(force)
  }
}
