import { Type } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { Counter } from 'prom-client'
import { ConfigErrors, defineSettings, loadSettings, setting } from '../config/settings.js'
import type { KitFeature } from '../service/feature.js'
import { delayOf, type Fault, FaultList, faultFor, injectedError } from './fault.js'

export const FaultSettings = defineSettings({
  enabled: setting(
    Type.Boolean(),
    false,
    'Allow fault injection (tests, demos); refused when TRELLIS_ENV=production.',
    { env: 'TRELLIS_FAULTS_ENABLED' },
  ),
  faults: setting(
    FaultList,
    [],
    'Faults active from the start, as JSON: [{"route":"GET /x","kind":"slow"}].',
    {
      env: 'TRELLIS_FAULTS',
    },
  ),
})

/** The kit's own routes are never faulted: probes, metrics and the switch itself keep working. */
const KIT_ROUTES = /^\/(health|metrics|openapi\.json|admin\/faults)(\/|$)/

/**
 * Fault injection: makes a route slow, failing or dead on demand, so that
 * tests and chaos drills can provoke each failure. Off unless
 * TRELLIS_FAULTS_ENABLED=true, and the instance refuses to start with it in
 * production. Faults come from TRELLIS_FAULTS at start and are changed at
 * run time through the internal routes GET/PUT/DELETE /admin/faults (never
 * reachable through the gateway).
 */
export const faultsFeature: KitFeature = {
  name: 'faults',
  setup({ env, runtime, app, addRoute, log, context }) {
    const settings = loadSettings(FaultSettings, env)
    if (!settings.enabled) {
      if (settings.faults.length > 0)
        throw ConfigErrors.invalid(
          'TRELLIS_FAULTS is set but fault injection is off; set TRELLIS_FAULTS_ENABLED=true',
        )
      return undefined
    }
    if (runtime.env === 'production')
      throw ConfigErrors.invalid(
        'fault injection (TRELLIS_FAULTS_ENABLED=true) is refused when TRELLIS_ENV=production',
      )
    let faults: Fault[] = settings.faults
    const injected = new Counter({
      name: 'trellis_faults_injected_total',
      help: 'Requests that got an injected fault.',
      labelNames: ['route', 'kind'],
      registers: [context.metrics],
    })
    log.warn({ faults }, 'fault injection is enabled')

    app.addHook('onRequest', async (request, reply) => {
      if (faults.length === 0 || KIT_ROUTES.test(request.url)) return
      const route = `${request.method} ${request.routeOptions.url ?? request.url}`
      const fault = faultFor(faults, route)
      if (!fault) return
      injected.labels(route, fault.kind).inc()
      if (fault.kind === 'slow') await new Promise((resolve) => setTimeout(resolve, delayOf(fault)))
      else if (fault.kind === 'fail') throw injectedError(fault, route)
      else {
        reply.hijack()
        request.raw.socket.destroy()
      }
    })

    const Body = Type.Object({ faults: FaultList }, { additionalProperties: false })
    const State = Type.Object({ faults: FaultList })
    addRoute({
      method: 'GET',
      url: '/admin/faults',
      summary: 'The faults now injected',
      access: 'internal',
      schema: { response: { 200: State } },
      handler: async () => ({ faults }),
    })
    addRoute({
      method: 'PUT',
      url: '/admin/faults',
      summary: 'Replace the faults injected',
      access: 'internal',
      schema: { body: Body, response: { 200: State } },
      handler: async (request) => {
        faults = Value.Clone((request.body as { faults: Fault[] }).faults)
        log.warn({ faults }, 'faults changed')
        return { faults }
      },
    })
    addRoute({
      method: 'DELETE',
      url: '/admin/faults',
      summary: 'Stop injecting faults',
      access: 'internal',
      schema: { response: { 200: State } },
      handler: async () => {
        faults = []
        log.info('faults cleared')
        return { faults }
      },
    })
    return undefined
  },
}
