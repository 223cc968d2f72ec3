import { defineService } from '@trellis/kit'
import { onOrderApproved, onOrderCancelled, onOrderRejected, onStockLow } from './events/notify.js'
import { notificationRoutes } from './http/notification-routes.js'

export const notifications = defineService({
  name: 'notifications',
  version: '0.1.0',
  description: 'The messages people would be sent about orders and stock, kept as a log (reacts to events).',
  database: { migrations: new URL('../migrations', import.meta.url) },
  routes: ({ db }) => notificationRoutes(db),
  subscribes: {
    'order.order.approved': onOrderApproved,
    'order.order.rejected': onOrderRejected,
    'order.order.cancelled': onOrderCancelled,
    'inventory.stock.low': onStockLow,
  },
})
