import { createHmac, timingSafeEqual } from 'node:crypto'

/**
 * Who is calling. For now a bearer token says it: the administrator's token
 * (writes, rollbacks, reveals) or a service's token (reads its own secrets,
 * publishes its own schema). When the gateway verifies identities, an
 * `Authorizer` that reads the verified identity replaces this one; the routes
 * only ask for a Principal.
 */
export type Principal = { kind: 'admin' } | { kind: 'service'; service: string } | { kind: 'anonymous' }

export interface Authorizer {
  /** The caller of a request, from its Authorization header; undefined for a token that is not valid. */
  identify(authorization: string | undefined): Principal | undefined
}

const SERVICE_PREFIX = 'svc'

/**
 * A service's token: its name and an HMAC of it under the admin token, so the
 * server checks it without storing it. The control loop hands each service
 * its own; a service's token opens nothing of another service.
 */
export function serviceToken(adminToken: string, service: string): string {
  return `${SERVICE_PREFIX}.${service}.${mac(adminToken, service)}`
}

export class TokenAuthorizer implements Authorizer {
  constructor(private readonly adminToken: string) {}

  identify(authorization: string | undefined): Principal | undefined {
    if (authorization === undefined || authorization === '') return { kind: 'anonymous' }
    const match = /^Bearer ([\x21-\x7e]{1,400})$/i.exec(authorization)
    if (!match) return undefined
    const token = match[1]!
    if (same(token, this.adminToken)) return { kind: 'admin' }
    const [prefix, service, signature, ...rest] = token.split('.')
    if (prefix !== SERVICE_PREFIX || !service || !signature || rest.length) return undefined
    return same(signature, mac(this.adminToken, service)) ? { kind: 'service', service } : undefined
  }
}

export function describePrincipal(principal: Principal): string {
  return principal.kind === 'service' ? `service ${principal.service}` : principal.kind
}

function mac(key: string, service: string): string {
  return createHmac('sha256', key).update(`trellis-config-service\0${service}`).digest('base64url')
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}
