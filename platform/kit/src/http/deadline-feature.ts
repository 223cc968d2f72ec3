import { DEADLINE_HEADER, Deadline, MAX_BUDGET_MS, parseBudget } from '../client/deadline.js'
import { KitErrors } from '../errors/kit-errors.js'
import type { KitFeature } from '../service/feature.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller's deadline, from `x-trellis-budget-ms`; undefined when the caller set none. */
    deadline: Deadline | undefined
  }
}

/**
 * The callee's half of deadline propagation: a request carrying the
 * caller's remaining budget gets `request.deadline` (pass the request as a
 * call's `parent` and downstream calls inherit it); work whose deadline has
 * already passed is refused with a 504 problem before it starts, both on
 * arrival and after the body was read.
 */
export const deadlineFeature: KitFeature = {
  name: 'deadline',
  setup({ app }) {
    app.decorateRequest('deadline', undefined)
    app.addHook('onRequest', async (request) => {
      const budget = parseBudget(request.headers[DEADLINE_HEADER])
      if (budget === undefined) return
      if (Number.isNaN(budget) || budget > MAX_BUDGET_MS)
        throw KitErrors.badRequest(
          `${DEADLINE_HEADER} must be a whole number of milliseconds up to ${MAX_BUDGET_MS}`,
        )
      if (budget <= 0) throw KitErrors.deadlineExceeded(`${-budget} ms`)
      request.deadline = Deadline.in(budget)
    })
    app.addHook('preHandler', async (request) => {
      if (request.deadline?.expired) throw KitErrors.deadlineExceeded('while it waited')
    })
    return undefined
  },
}
