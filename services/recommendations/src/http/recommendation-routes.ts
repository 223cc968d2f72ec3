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
        // One statement, so the counts and the partners come from one snapshot: an order's
        // counts commit together, and the answer never shows one without the other.
        const { rows } = await db.query<{
          sold: { units: number; orders: number } | null
          items: Array<{ sku: string; orders: number }>
        }>(
          `SELECT
             (SELECT json_build_object('units', units, 'orders', orders) FROM sales WHERE sku = $1) AS sold,
             (SELECT coalesce(json_agg(json_build_object('sku', other_sku, 'orders', orders)
                                       ORDER BY orders DESC, other_sku), '[]')
              FROM (SELECT other_sku, orders FROM bought_together WHERE sku = $1
                    ORDER BY orders DESC, other_sku LIMIT $2) AS top) AS items`,
          [sku, request.query.limit ?? 10],
        )
        return { sku, sold: rows[0]?.sold ?? { units: 0, orders: 0 }, items: rows[0]?.items ?? [] }
      },
    }),
  ]
}
