import type { Role } from '@trellis/kit'

/**
 * What an API key may be granted, by the role of the user who makes it.
 * Keys are for merchant integrations (a shop system pushing products and
 * stock); a key can never do more than its owner.
 */
export const API_KEY_SCOPES: Record<Role, readonly string[]> = {
  customer: [],
  merchant: ['catalog:write', 'inventory:read', 'inventory:write'],
  admin: ['catalog:write', 'inventory:read', 'inventory:write'],
}

/** The first requested scope the roles may not grant, or undefined when all are allowed. */
export function refusedScope(roles: Role[], scopes: string[]): string | undefined {
  const allowed = new Set(roles.flatMap((r) => API_KEY_SCOPES[r]))
  return scopes.find((s) => !allowed.has(s))
}
