/**
 * Errors are a catalogue of constructors with stable codes
 * (`TRELLIS_<AREA>_<PROBLEM>`), each with an HTTP status and a retryable flag
 * that callers' retry logic reads. A code is defined once, in one catalogue;
 * defining it twice fails at import time, not on the first request.
 */

export interface ErrorOptions {
  /** A caller may retry the same request later and expect it to succeed. */
  retryable?: boolean
  /** Short, constant summary of the problem type; derived from the code when absent. */
  title?: string
}

export interface TrellisErrorInit {
  code: string
  status: number
  title: string
  detail: string
  retryable: boolean
  extensions?: Record<string, unknown>
  cause?: unknown
}

export class TrellisError extends Error {
  readonly code: string
  readonly status: number
  readonly title: string
  readonly retryable: boolean
  /** Extra members for the problem document (RFC 9457 extension members). */
  readonly extensions: Record<string, unknown>

  constructor(init: TrellisErrorInit) {
    super(init.detail, init.cause === undefined ? undefined : { cause: init.cause })
    this.name = 'TrellisError'
    this.code = init.code
    this.status = init.status
    this.title = init.title
    this.retryable = init.retryable
    this.extensions = init.extensions ?? {}
  }

  /** Returns the same error with extension members added to its problem document. */
  with(extensions: Record<string, unknown>): this {
    Object.assign(this.extensions, extensions)
    return this
  }
}

export interface ErrorDefinition {
  (...args: Array<string | number>): TrellisError
  readonly code: string
  readonly status: number
  readonly title: string
  readonly retryable: boolean
  readonly template: string
}

const definitions = new Map<string, ErrorDefinition>()

const CODE_PATTERN = /^TRELLIS_[A-Z0-9]+(?:_[A-Z0-9]+)*$/

export function defineError(code: string, status: number, template: string, options: ErrorOptions = {}) {
  if (!CODE_PATTERN.test(code)) throw new Error(`error code ${code} does not match TRELLIS_<AREA>_<PROBLEM>`)
  if (definitions.has(code)) throw new Error(`error code ${code} is defined twice`)
  if (status < 400 || status > 599) throw new Error(`error code ${code} has status ${status}; use 4xx or 5xx`)
  const title = options.title ?? titleFromCode(code)
  const retryable = options.retryable ?? false
  const create = (...args: Array<string | number>) =>
    new TrellisError({ code, status, title, detail: format(template, args), retryable })
  const definition = Object.assign(create, { code, status, title, retryable, template }) as ErrorDefinition
  definitions.set(code, definition)
  return definition
}

/** Every error code defined so far (by the modules imported), for docs and tests. */
export function errorCatalogue(): ErrorDefinition[] {
  return [...definitions.values()]
}

export function isTrellisError(error: unknown): error is TrellisError {
  return error instanceof TrellisError
}

function format(template: string, args: Array<string | number>): string {
  let i = 0
  return template.replace(/%s/g, () => (i < args.length ? String(args[i++]) : '%s'))
}

/** `TRELLIS_CATALOG_PRODUCT_NOT_FOUND` → `Catalog product not found`. */
function titleFromCode(code: string): string {
  const words = code
    .replace(/^TRELLIS_/, '')
    .toLowerCase()
    .replace(/_/g, ' ')
  return words[0]!.toUpperCase() + words.slice(1)
}
