import { type AnyRoute, type Database, defineRoute, Type } from '@trellis/kit'
import { ReservationStore } from '../store/reservation-store.js'

const ADMINS = { roles: ['admin' as const], scopes: ['inventory:read'] }

/** What the saga holds, for operators and for the invariant checks. */
export function reservationRoutes(db: Database): AnyRoute[] {
  const store = new ReservationStore(db)
  return [
    defineRoute({
      method: 'GET',
      url: '/reservations/:orderId',
      summary: "An order's stock reservations (reserved, committed or released)",
      auth: ADMINS,
      schema: {
        params: Type.Object({ orderId: Type.String({ minLength: 1, maxLength: 200 }) }),
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                orderId: Type.String(),
                sku: Type.String(),
                quantity: Type.Integer(),
                status: Type.String(),
                updatedAt: Type.String(),
              }),
            ),
          }),
        },
      },
      handler: async (request) => ({ items: await store.forOrder(request.params.orderId) }),
    }),
    defineRoute({
      method: 'GET',
      url: '/reservations-audit',
      summary: "Per SKU: stock_items.reserved beside the live reservations' sum (they must agree)",
      auth: ADMINS,
      schema: {
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object({ sku: Type.String(), reserved: Type.Integer(), recorded: Type.Integer() }),
            ),
          }),
        },
      },
      handler: async () => ({ items: await store.heldBySku() }),
    }),
    defineRoute({
      method: 'GET',
      url: '/low-stock-alerts',
      summary: 'SKUs flagged low after a sale, until restocked',
      auth: { roles: ['merchant' as const, 'admin' as const], scopes: ['inventory:read'] },
      schema: {
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                sku: Type.String(),
                available: Type.Integer(),
                threshold: Type.Integer(),
                orderId: Type.Union([Type.String(), Type.Null()]),
                flaggedAt: Type.String(),
              }),
            ),
          }),
        },
      },
      handler: async () => {
        const { rows } = await db.query<{
          sku: string
          available: number
          threshold: number
          order_id: string | null
          flagged_at: Date
        }>('SELECT * FROM low_stock_alerts ORDER BY flagged_at DESC LIMIT 500')
        return {
          items: rows.map((r) => ({
            sku: r.sku,
            available: r.available,
            threshold: r.threshold,
            orderId: r.order_id,
            flaggedAt: r.flagged_at.toISOString(),
          })),
        }
      },
    }),
  ]
}
