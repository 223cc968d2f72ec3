// The service of bench:observability: a route that answers from memory and
// one that reads a row from the service's own database (a typical request).
import { defineRoute, defineService, main, Type } from '@trellis/kit'

const Item = Type.Object({ id: Type.Integer(), name: Type.String(), priceCents: Type.Integer() })

await main(
  defineService({
    name: 'observed',
    database: { migrations: new URL('../migrations', import.meta.url) },
    routes: (ctx) => [
      defineRoute({
        method: 'GET',
        url: '/ping',
        summary: 'A small JSON answer from memory',
        auth: 'public',
        schema: { response: { 200: Type.Object({ ok: Type.Boolean() }) } },
        handler: async () => ({ ok: true }),
      }),
      defineRoute({
        method: 'GET',
        url: '/items/:id',
        summary: 'One row of the database',
        auth: 'public',
        schema: { params: Type.Object({ id: Type.Integer() }), response: { 200: Item } },
        handler: async (request) => {
          const { rows } = await ctx.db.query<{ id: number; name: string; price_cents: number }>(
            'SELECT id, name, price_cents FROM items WHERE id = $1',
            [request.params.id],
          )
          const row = rows[0]!
          return { id: row.id, name: row.name, priceCents: row.price_cents }
        },
      }),
    ],
  }),
)
