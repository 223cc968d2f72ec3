import { type AnyRoute, type Database, defineRoute, Type } from '@trellis/kit'

export function recommendationRoutes(db: Database): AnyRoute[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/skus/:sku/bought-together',
      summary: 'SKUs most often in the same approved order as this one',
      auth: 'public',
      schema: {
        params: Type.Object({ sku: Type.String({ pattern: '^[A-Z0-9][A-Z0-9-]{1,63}$' }) }),
        querystring: Type.Object(
          { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            sku: Type.String(),
            sold: Type.Object({ units: Type.Integer(), orders: Type.Integer() }),
            items: Type.Array(Type.Object({ sku: Type.String(), orders: Type.Integer() })),
          }),
        },
      },
      handler: async (request) => {
        const { sku } = request.params
        const [partners, sales] = await Promise.all([
          db.query<{ other_sku: string; orders: number }>(
            'SELECT other_sku, orders FROM bought_together WHERE sku = $1 ORDER BY orders DESC, other_sku LIMIT $2',
            [sku, request.query.limit ?? 10],
          ),
          db.query<{ units: number; orders: number }>('SELECT units, orders FROM sales WHERE sku = $1', [
            sku,
          ]),
        ])
        return {
          sku,
          sold: sales.rows[0] ?? { units: 0, orders: 0 },
          items: partners.rows.map((r) => ({ sku: r.other_sku, orders: r.orders })),
        }
      },
    }),
  ]
}
