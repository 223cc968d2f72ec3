import { AuthErrors } from './auth-errors.js'
import type { Identity } from './identity.js'

/**
 * Ownership: whose records a caller may see and change. A service stores an
 * owner with each record (a merchant id for products and stock, a user id
 * for carts and orders) and filters every read and write by the caller's
 * scope: `null` means every owner (an admin), a string means that owner
 * only. A record outside the scope is answered exactly like a missing one
 * (404), so ids of other owners' records reveal nothing.
 *
 * ```ts
 * const owner = ownerScope(request.identity, 'merchant')
 * const product = await products.get(id, owner)     // WHERE id = $1 AND ($2::uuid IS NULL OR merchant_id = $2)
 * if (!product) throw CatalogErrors.productNotFound(id)
 * ```
 */
export type OwnerKind = 'merchant' | 'customer'

export function ownerScope(identity: Identity | undefined, kind: OwnerKind): string | null {
  if (!identity) throw AuthErrors.required()
  if (identity.roles.includes('admin')) return null
  if (kind === 'customer') return identity.subject
  if (identity.roles.includes('merchant') && identity.merchantId) return identity.merchantId
  throw AuthErrors.forbidden('the merchant role')
}

/** True when a record with this owner is inside the scope. */
export function inScope(scope: string | null, owner: string | null | undefined): boolean {
  return scope === null || owner === scope
}
