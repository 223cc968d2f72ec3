import { type AnyRoute, type Database, defineRoute, replyIdempotently, Type } from '@trellis/kit'
import { CatalogErrors } from '../errors.js'
import { MerchantStore } from '../store/merchant-store.js'
import { Merchant, Uuid } from './schemas.js'

export function merchantRoutes(db: Database): AnyRoute[] {
  const merchants = new MerchantStore(db)
  return [
    defineRoute({
      method: 'GET',
      url: '/merchants',
      summary: 'Every merchant with its product count',
      auth: 'public',
      schema: { response: { 200: Type.Object({ items: Type.Array(Merchant) }) } },
      handler: async () => ({ items: await merchants.list() }),
    }),
    defineRoute({
      method: 'GET',
      url: '/merchants/:id',
      summary: 'One merchant',
      auth: 'public',
      schema: { params: Type.Object({ id: Uuid }), response: { 200: Merchant } },
      handler: async (request) => {
        const merchant = await merchants.get(request.params.id)
        if (!merchant) throw CatalogErrors.merchantNotFound(request.params.id)
        return merchant
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/merchants',
      summary: 'Create a merchant (admin; accepts Idempotency-Key)',
      auth: { roles: ['admin'] },
      schema: {
        body: Type.Object(
          {
            slug: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{1,62}$' }),
            name: Type.String({ minLength: 1, maxLength: 200 }),
          },
          { additionalProperties: false },
        ),
        response: { 201: Merchant },
      },
      handler: async (request, reply) =>
        replyIdempotently(request, reply, db, async (tx) => ({
          status: 201,
          body: await new MerchantStore(tx).create(request.body.slug, request.body.name),
        })),
    }),
  ]
}
