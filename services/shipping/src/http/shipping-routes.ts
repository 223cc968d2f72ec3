import { type AnyRoute, type Database, defineRoute, Type } from '@trellis/kit'
import { shippingOptions } from '../domain/rates.js'
import { ShippingErrors } from '../errors.js'
import { type Shipment, ShipmentStore } from '../store/shipment-store.js'

const ShipmentSchema = Type.Object({
  id: Type.String(),
  orderId: Type.String(),
  country: Type.String(),
  option: Type.String(),
  weightGrams: Type.Integer(),
  priceCents: Type.Integer(),
  status: Type.String(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
})
const Country = Type.String({ pattern: '^[A-Z]{2}$' })
const ADMINS = { roles: ['admin' as const], scopes: ['shipping:read'] }

export function shippingRoutes(
  db: Database,
  publish: (tx: Parameters<Parameters<Database['tx']>[0]>[0], s: Shipment) => Promise<unknown>,
): AnyRoute[] {
  const shipments = new ShipmentStore(db)
  return [
    defineRoute({
      method: 'GET',
      url: '/options',
      summary: 'Shipping options and prices to a country for a weight',
      auth: 'public',
      schema: {
        querystring: Type.Object(
          { country: Country, weightGrams: Type.Integer({ minimum: 1, maximum: 1_000_000 }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                code: Type.String(),
                carrier: Type.String(),
                days: Type.Integer(),
                priceCents: Type.Integer(),
              }),
            ),
          }),
        },
      },
      handler: async (request) => ({
        items: shippingOptions(request.query.country, request.query.weightGrams),
      }),
    }),
    defineRoute({
      method: 'GET',
      url: '/shipments',
      summary: "An order's shipment (orderId=…)",
      auth: ADMINS,
      schema: {
        querystring: Type.Object(
          { orderId: Type.String({ minLength: 1, maxLength: 200 }) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ items: Type.Array(ShipmentSchema) }) },
      },
      handler: async (request) => {
        const shipment = await shipments.byOrder(request.query.orderId)
        return { items: shipment ? [shipment] : [] }
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/shipments/:id/dispatch',
      summary: 'Hand a shipment to its carrier (after which it cannot be cancelled)',
      auth: { roles: ['admin' as const], scopes: ['shipping:write'] },
      schema: {
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        response: { 200: ShipmentSchema },
      },
      handler: async (request) =>
        db.tx(async (tx) => {
          const before = await new ShipmentStore(tx).get(request.params.id)
          if (!before) throw ShippingErrors.notFound(request.params.id)
          const shipment = (await new ShipmentStore(tx).dispatch(request.params.id))!
          if (shipment.status !== 'dispatched') throw ShippingErrors.dispatched(shipment.id, shipment.status)
          if (before.status === 'created') await publish(tx, shipment)
          return shipment
        }),
    }),
  ]
}
