import { defineService } from '@trellis/kit'
import { onOrderApproved } from './events/on-order-approved.js'
import { recommendationRoutes } from './http/recommendation-routes.js'

export const recommendations = defineService({
  name: 'recommendations',
  version: '0.1.0',
  description: 'What is bought together, counted from approved orders (reacts to order events).',
  database: { migrations: new URL('../migrations', import.meta.url) },
  routes: ({ db }) => recommendationRoutes(db),
  subscribes: { 'order.order.approved': onOrderApproved },
})
