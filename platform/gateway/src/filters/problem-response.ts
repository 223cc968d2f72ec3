import { PROBLEM_CONTENT_TYPE, problemFromError, toTrellisError } from '@trellis/kit/platform'
import type { GatewayFilter } from './filter.js'

/** ERROR: any failure becomes a problem+json response; after the head went out, the connection is cut instead. */
export const problemResponse: GatewayFilter = {
  name: 'problem-response',
  stage: 'error',
  run(context, error) {
    const { res } = context
    if (res.headersSent) {
      context.log.warn(
        { err: error, request_id: context.requestId },
        'upstream failed mid-response; closing the connection',
      )
      res.destroy()
      return
    }
    const trellisError = toTrellisError(error)
    const problem = problemFromError(
      trellisError,
      `urn:trellis:request:${context.requestId}`,
      context.requestId,
    )
    if (problem.status >= 500 && !trellisError.code.startsWith('TRELLIS_GATEWAY_')) {
      context.log.error({ err: error, request_id: context.requestId }, 'gateway failed')
    }
    const body = JSON.stringify(problem)
    const headers: Record<string, string> = {
      'content-type': PROBLEM_CONTENT_TYPE,
      'content-length': String(Buffer.byteLength(body)),
    }
    if (problem.status === 503 || problem.status === 429) {
      const after = trellisError.extensions['retryAfter']
      headers['retry-after'] = typeof after === 'number' ? String(after) : '1'
    }
    if (problem.status === 401) headers['www-authenticate'] = 'Bearer realm="trellis"'
    context.writeHead({ status: problem.status, headers })
    res.end(body)
    context.handled = true
  },
}
