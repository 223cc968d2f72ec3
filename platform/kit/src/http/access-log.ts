import { type FastifyReply, type FastifyRequest, LogController } from 'fastify'
import { traceFields } from '../tracing/trace-context.js'

/**
 * One access-log line per request, written when it completes (method, url,
 * status, time); Fastify's own "incoming request" line is dropped. Paths
 * matching `quiet` (probes, heartbeats, watches) log at debug, so that a
 * terminal shows requests people make, not the platform's chatter.
 */
export class AccessLog extends LogController {
  constructor(private readonly quiet: RegExp) {
    super({ requestIdLogLabel: 'request_id' })
  }

  override incomingRequest(): void {}

  override requestCompleted(error: Error | null, request: FastifyRequest, reply: FastifyReply): void {
    const line = {
      method: request.method,
      url: request.url.length > 300 ? `${request.url.slice(0, 300)}…` : request.url,
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
      ...traceFields(request.span),
    }
    if (error && reply.statusCode >= 500) request.log.error({ ...line, err: error }, 'request')
    else if (this.quiet.test(request.url)) request.log.debug(line, 'request')
    else request.log.info(line, 'request')
  }
}
