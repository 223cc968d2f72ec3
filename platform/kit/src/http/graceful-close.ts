import type { Server } from 'node:http'
import type { FastifyInstance } from 'fastify'
import { KitErrors } from '../errors/kit-errors.js'
import type { Logger } from '../log/logger.js'

const draining = new WeakSet<FastifyInstance>()

/**
 * While draining, a request that still arrives on a kept-alive connection
 * gets a retryable 503 problem, and every response tells the client to drop
 * its connection, so the next request goes to another instance.
 */
export function installDrainHook(app: FastifyInstance): void {
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
 * finished) would hold the close until its keep-alive timeout. So responses
 * sent while draining say `Connection: close`, and idle connections are swept
 * until the server is closed.
 */
export async function closeGracefully(app: FastifyInstance, timeoutMs: number, log: Logger): Promise<void> {
  draining.add(app)
  await drain(app.server, () => app.close(), timeoutMs, log)
}

/** The same for a plain Node server (the gateway); its responses must add `Connection: close` themselves. */
export async function drainServer(server: Server, timeoutMs: number, log: Logger): Promise<void> {
  await drain(server, () => new Promise<void>((resolve) => server.close(() => resolve())), timeoutMs, log)
}

async function drain(
  server: Server,
  close: () => Promise<unknown>,
  timeoutMs: number,
  log: Logger,
): Promise<void> {
  const sweep = setInterval(() => server.closeIdleConnections(), 50)
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
