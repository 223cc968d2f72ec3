import type { FastifyError } from 'fastify'
import { isTrellisError, type TrellisError } from '../errors/define-error.js'
import { KitErrors } from '../errors/kit-errors.js'

/** RFC 9457 media type; every error response of every Trellis process uses it. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json'

export interface ProblemFieldError {
  /** Where the offending value sits: body, querystring, params or headers. */
  in: string
  /** JSON pointer to the value inside that part ('' for the part itself). */
  path: string
  message: string
}

export interface Problem {
  type: string
  title: string
  status: number
  detail: string
  instance?: string
  code: string
  retryable: boolean
  requestId?: string
  errors?: ProblemFieldError[]
  [extension: string]: unknown
}

export function problemType(code: string): string {
  return `urn:trellis:problem:${code}`
}

export function problemFromError(error: TrellisError, instance?: string, requestId?: string): Problem {
  return {
    ...error.extensions,
    type: problemType(error.code),
    title: error.title,
    status: error.status,
    detail: error.message,
    code: error.code,
    retryable: error.retryable,
    ...(instance === undefined ? {} : { instance }),
    ...(requestId === undefined ? {} : { requestId }),
  }
}

/**
 * Maps anything thrown while handling a request to a problem document.
 * Only Trellis errors and the framework's own 4xx errors keep their message;
 * anything else becomes a bare 500 so that no internal detail leaks.
 */
export function toProblem(error: unknown, instance?: string, requestId?: string): Problem {
  return problemFromError(toTrellisError(error), instance, requestId)
}

export function toTrellisError(error: unknown): TrellisError {
  if (isTrellisError(error)) return error
  const fastifyError = error as Partial<FastifyError> & { validationContext?: string }
  if (Array.isArray(fastifyError.validation)) {
    const context = fastifyError.validationContext ?? 'request'
    const errors: ProblemFieldError[] = fastifyError.validation.map((v) => ({
      in: context,
      path: v.instancePath ?? '',
      message: v.message ?? 'is invalid',
    }))
    const summary = errors.map((e) => `${e.in}${e.path} ${e.message}`).join('; ')
    return KitErrors.validation(summary).with({ errors })
  }
  const status = fastifyError.statusCode
  if (typeof status === 'number' && status >= 400 && status < 500) {
    switch (fastifyError.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return KitErrors.payloadTooLarge('the configured limit of')
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return KitErrors.unsupportedMediaType(String(mediaTypeFrom(fastifyError.message)))
      default:
        return KitErrors.badRequest(safeMessage(fastifyError.message))
    }
  }
  if (status === 503) return KitErrors.unavailable(safeMessage(fastifyError.message))
  if (isDatabaseUnavailable(error)) return KitErrors.databaseUnavailable()
  if (isRefusedValue(error)) return KitErrors.valueRefused()
  return KitErrors.internal()
}

/**
 * The database refused a value the request carried (SQLSTATE class 22, a
 * data exception: a NUL byte in text, a number out of range; 23514, a check
 * constraint): the client's input, not a fault of the service, so a 400.
 * The database's message is not passed on.
 */
function isRefusedValue(error: unknown): boolean {
  const { code, severity } = error as { code?: unknown; severity?: unknown }
  return typeof code === 'string' && typeof severity === 'string' && (/^22/.test(code) || code === '23514')
}

/**
 * The database is down, restarting or overloaded: the request may succeed
 * later, so the caller gets a retryable 503 rather than a 500. SQLSTATE
 * class 08 is a connection exception, 57P01-57P03 the server shutting down
 * or starting, 57014 a statement cancelled by its timeout.
 */
function isDatabaseUnavailable(error: unknown): boolean {
  const { code, message } = error as { code?: unknown; message?: unknown }
  if (
    typeof code === 'string' &&
    (/^08/.test(code) || /^57P0[123]$/.test(code) || code === '57014' || code === 'ECONNREFUSED')
  )
    return true
  return (
    typeof message === 'string' &&
    /timeout exceeded when trying to connect|Connection terminated/.test(message)
  )
}

function mediaTypeFrom(message: string | undefined): string {
  const match = message?.match(/'([^']*)'/)
  return match?.[1] ?? 'of the request'
}

/** Framework messages describe the request; cap their length and strip control characters. */
function safeMessage(message: string | undefined): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  return (message ?? 'bad request').replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, 300)
}
