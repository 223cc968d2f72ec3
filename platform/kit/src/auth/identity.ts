/**
 * Who is calling, as the edge verified it. The gateway turns a client's
 * credential (an access token or an API key) into an `Identity`, and passes
 * it to the service in a signed assertion (`assertion.ts`); the kit verifies
 * the assertion and hands the identity to handlers as `request.identity`.
 */
export const ROLES = ['customer', 'merchant', 'admin'] as const
export type Role = (typeof ROLES)[number]

export interface Identity {
  /** The user's id; for an API key, the id of the user who owns it. */
  subject: string
  /** A signed-in user (access token) or a merchant integration (API key). */
  kind: 'user' | 'api-key'
  roles: Role[]
  /**
   * What an API key may do (`catalog:write`, …). A user's session acts with
   * the full authority of its roles, so for users this list is empty and
   * route scopes are not checked.
   */
  scopes: string[]
  /** The merchant (catalog merchant id) a merchant user acts for. */
  merchantId?: string
  /** The API key's id, when `kind` is `api-key`. */
  keyId?: string
}

/**
 * A route's authorisation policy:
 * - `public`: anyone, signed in or not (the handler still sees an identity when there is one);
 * - `signed-in`: any verified identity;
 * - `{ roles, scopes }`: a verified identity with at least one of `roles`
 *   and, for API keys, every one of `scopes`.
 */
export type AuthPolicy = 'public' | 'signed-in' | { roles?: Role[]; scopes?: string[] }

/** Routes that declare nothing require a signed-in caller: forgetting a policy must not open a route. */
export const DEFAULT_AUTH: AuthPolicy = 'signed-in'

export type AuthDecision = 'allow' | 'unauthenticated' | 'forbidden'

/** The one place a policy is evaluated; the gateway and every service use it. */
export function decide(policy: AuthPolicy | undefined, identity: Identity | undefined): AuthDecision {
  const effective = policy ?? DEFAULT_AUTH
  if (effective === 'public') return 'allow'
  if (!identity) return 'unauthenticated'
  if (effective === 'signed-in') return 'allow'
  if (effective.roles?.length && !effective.roles.some((role) => identity.roles.includes(role)))
    return 'forbidden'
  if (identity.kind === 'api-key' && effective.scopes?.some((scope) => !identity.scopes.includes(scope)))
    return 'forbidden'
  return 'allow'
}

/** A policy read from registry metadata: anything unrecognised is the strict default. */
export function parsePolicy(value: unknown): AuthPolicy {
  if (value === 'public' || value === 'signed-in') return value
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const { roles, scopes } = value as { roles?: unknown; scopes?: unknown }
    const policy: { roles?: Role[]; scopes?: string[] } = {}
    // Unknown role names are kept: nobody holds them, so they can only make a policy stricter.
    if (Array.isArray(roles)) policy.roles = roles.map(String) as Role[]
    if (Array.isArray(scopes)) policy.scopes = scopes.map(String)
    return policy
  }
  return DEFAULT_AUTH
}

/** A one-line description for logs and problem details. */
export function describePolicy(policy: AuthPolicy): string {
  if (typeof policy === 'string') return policy
  const parts = []
  if (policy.roles?.length) parts.push(`role ${policy.roles.join(' or ')}`)
  if (policy.scopes?.length) parts.push(`scope ${policy.scopes.join(' and ')}`)
  return parts.join(', ') || 'signed-in'
}
