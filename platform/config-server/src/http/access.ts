import type { FastifyRequest } from 'fastify'
import { type Authorizer, describePrincipal, type Principal } from '../auth/tokens.js'
import { ConfigServerErrors } from '../errors.js'

/** The caller; a token that is present but not valid is refused rather than treated as anonymous. */
export function principalOf(request: FastifyRequest, authorizer: Authorizer): Principal {
  const principal = authorizer.identify(request.headers.authorization)
  if (!principal)
    throw ConfigServerErrors.unauthorized('call the config server; the token given is not valid')
  return principal
}

export function requireAdmin(principal: Principal, action: string): void {
  if (principal.kind === 'anonymous') throw ConfigServerErrors.unauthorized(action)
  if (principal.kind !== 'admin') throw ConfigServerErrors.forbidden(describePrincipal(principal), action)
}

/** The application's own service, or an admin. */
export function requireOwner(principal: Principal, application: string, action: string): void {
  if (principal.kind === 'admin') return
  if (principal.kind === 'anonymous') throw ConfigServerErrors.unauthorized(action)
  if (principal.service !== application)
    throw ConfigServerErrors.forbidden(describePrincipal(principal), action)
}

/** The author recorded with a change: declared by the caller for now (see docs/configuration.md). */
export function authorOf(principal: Principal, declared: string | undefined): string {
  return declared ?? (principal.kind === 'service' ? `service ${principal.service}` : 'admin')
}
