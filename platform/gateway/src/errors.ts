import { defineError } from '@trellis/kit/platform'

export const GatewayErrors = {
  requestMalformed: defineError(
    'TRELLIS_GATEWAY_REQUEST_MALFORMED',
    400,
    'the request could not be parsed as HTTP/1.1: %s',
  ),
  headersTooLarge: defineError(
    'TRELLIS_GATEWAY_HEADERS_TOO_LARGE',
    431,
    'the request headers are larger than %s bytes',
  ),
  routeNotFound: defineError('TRELLIS_GATEWAY_ROUTE_NOT_FOUND', 404, 'no public route for %s %s'),
  pathInvalid: defineError('TRELLIS_GATEWAY_PATH_INVALID', 400, 'the request path is not acceptable: %s'),
  noInstance: defineError('TRELLIS_GATEWAY_NO_INSTANCE', 503, 'no instance of %s is available', {
    retryable: true,
  }),
  upstreamFailed: defineError('TRELLIS_GATEWAY_UPSTREAM_FAILED', 502, 'the %s service failed to answer: %s', {
    retryable: true,
  }),
  circuitOpen: defineError(
    'TRELLIS_GATEWAY_CIRCUIT_OPEN',
    503,
    'the %s service is failing; requests are suspended for at most %s ms',
    { retryable: true },
  ),
  upstreamTimeout: defineError(
    'TRELLIS_GATEWAY_UPSTREAM_TIMEOUT',
    504,
    'the %s service did not answer within %s ms',
    {
      retryable: true,
    },
  ),
} as const
