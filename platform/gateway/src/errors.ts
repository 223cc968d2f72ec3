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
  tokenInvalid: defineError('TRELLIS_GATEWAY_TOKEN_INVALID', 401, 'the access token was refused: %s'),
  apiKeyInvalid: defineError('TRELLIS_GATEWAY_API_KEY_INVALID', 401, 'the API key is unknown or revoked'),
  credentialsAmbiguous: defineError(
    'TRELLIS_GATEWAY_CREDENTIALS_AMBIGUOUS',
    400,
    'send one credential: an Authorization bearer token or an X-Api-Key, not both',
  ),
  authUnavailable: defineError(
    'TRELLIS_GATEWAY_AUTH_UNAVAILABLE',
    503,
    'credentials cannot be checked right now: %s',
    { retryable: true },
  ),
  rateLimited: defineError(
    'TRELLIS_GATEWAY_RATE_LIMITED',
    429,
    'too many requests from this %s; retry in %s s',
    {
      retryable: true,
    },
  ),
  corsRefused: defineError(
    'TRELLIS_GATEWAY_CORS_REFUSED',
    403,
    'origin %s may not call this API from a browser',
  ),
  headerDuplicated: defineError(
    'TRELLIS_GATEWAY_HEADER_DUPLICATED',
    400,
    'the %s header was sent more than once',
  ),
  tooManyHeaders: defineError(
    'TRELLIS_GATEWAY_TOO_MANY_HEADERS',
    431,
    'the request has more than %s headers',
  ),
  bodyTooLarge: defineError(
    'TRELLIS_GATEWAY_BODY_TOO_LARGE',
    413,
    'the request body is larger than %s bytes',
  ),
} as const
