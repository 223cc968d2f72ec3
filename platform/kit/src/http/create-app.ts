import { randomFillSync } from 'node:crypto'
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import { v7 as uuidv7 } from 'uuid'
import { KitErrors } from '../errors/kit-errors.js'
import type { Logger } from '../log/logger.js'
import { traceFields } from '../tracing/trace-context.js'
import { AccessLog } from './access-log.js'
import { installDrainHook } from './graceful-close.js'
import { PROBLEM_CONTENT_TYPE, problemFromError, toTrellisError } from './problem.js'

/** The correlation id header: taken from the request when well-formed, added otherwise, echoed in the response. */
export const REQUEST_ID_HEADER = 'x-request-id'

const VALID_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

export interface HttpAppOptions {
  log: Logger
  /** Largest request body accepted, in bytes. */
  bodyLimit?: number
  /** Requests to these paths log at debug instead of info (probes, heartbeats). */
  quietPaths?: RegExp
}

const DEFAULTS = {
  bodyLimit: 1_048_576,
  // Keep-alive sockets idle longer than this are closed by the server; upstream
  // clients (gateway, other services) keep theirs shorter, so they never reuse a closing socket.
  keepAliveTimeoutMs: 72_000,
}

// Probes, metrics and blocking queries (a `wait` parameter: the watches every instance keeps open).
export const QUIET_PATHS = /^\/(health|metrics)(\/|$)|[?&]wait=/

// Request ids need fresh random bits on every request; drawing them 4 KiB at a time
// instead of 16 bytes per id takes one system call per 256 ids (it showed in gateway profiles).
const entropy = new Uint8Array(4096)
let drawn = entropy.length
function pooledRandom(): Uint8Array {
  if (drawn + 16 > entropy.length) {
    randomFillSync(entropy)
    drawn = 0
  }
  drawn += 16
  return entropy.subarray(drawn - 16, drawn)
}

export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header
  return value !== undefined && VALID_REQUEST_ID.test(value) ? value : uuidv7({ rng: pooledRandom })
}

/**
 * A Fastify instance with the conventions every Trellis process shares:
 * correlation ids, one access-log line a request, problem+json for every
 * error (no stack trace or internal message ever leaves the process).
 */
export function createHttpApp(options: HttpAppOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: options.log as FastifyBaseLogger,
    logController: new AccessLog(options.quietPaths ?? QUIET_PATHS),
    requestIdHeader: false,
    genReqId: (req) => requestIdFrom(req.headers[REQUEST_ID_HEADER]),
    bodyLimit: options.bodyLimit ?? DEFAULTS.bodyLimit,
    keepAliveTimeout: DEFAULTS.keepAliveTimeoutMs,
    // Our drain hook answers requests that arrive while closing, as problem+json.
    return503OnClosing: false,
    routerOptions: { maxParamLength: 256, ignoreTrailingSlash: true },
    ajv: { customOptions: { allErrors: true, removeAdditional: false } },
  })

  app.addHook('onRequest', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id)
  })
  installDrainHook(app)

  app.setErrorHandler((error, request, reply) => {
    const trellisError = toTrellisError(error)
    const problem = problemFromError(trellisError, `urn:trellis:request:${request.id}`, request.id)
    if (problem.status >= 500 && problem.code === KitErrors.internal.code) {
      request.log.error({ err: error, ...traceFields(request.span) }, 'request failed')
    } else {
      request.log.info(
        { code: problem.code, status: problem.status, detail: problem.detail, ...traceFields(request.span) },
        'request rejected',
      )
    }
    if (problem.status === 503 || problem.status === 429) {
      const after = trellisError.extensions['retryAfter']
      reply.header('retry-after', typeof after === 'number' ? String(after) : '1')
    }
    if (problem.status === 401) reply.header('www-authenticate', 'Bearer realm="trellis"')
    return reply.code(problem.status).type(PROBLEM_CONTENT_TYPE).serializer(JSON.stringify).send(problem)
  })

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? ''
    const error = KitErrors.routeNotFound(request.method, path.length > 200 ? `${path.slice(0, 200)}…` : path)
    const problem = problemFromError(error, `urn:trellis:request:${request.id}`, request.id)
    return reply.code(404).type(PROBLEM_CONTENT_TYPE).serializer(JSON.stringify).send(problem)
  })

  return app
}
