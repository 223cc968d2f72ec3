import type { ServiceDirectory } from '@trellis/kit/platform'
import { request } from 'undici'
import type { PublicRoutes } from '../public-routes.js'
import type { RouteTable } from '../route-table.js'
import type { GatewayFilter } from './filter.js'

const DEFAULTS = {
  // A service that does not answer in time is left out of the document rather than holding it up.
  fetchTimeoutMs: 2_000,
}

const METHODS = new Set(['get', 'head', 'post', 'put', 'patch', 'delete'])

type Operation = Record<string, unknown>
interface OpenApi {
  paths?: Record<string, Record<string, Operation>>
  components?: { securitySchemes?: Record<string, unknown> }
}

/**
 * PRE: `GET /openapi.json` answers one OpenAPI document for the whole public
 * API: each exposed service's own document, its paths moved under the
 * service's public prefix, keeping only the operations the gateway forwards.
 * Rebuilt when the registry's catalogue changes, not per request.
 */
export function apiDocs(
  table: RouteTable,
  publicRoutes: PublicRoutes,
  directory: ServiceDirectory,
): GatewayFilter {
  let cached: { key: string; body: Promise<string> } | undefined
  const build = async (): Promise<string> => {
    const paths: Record<string, Record<string, Operation>> = {}
    let securitySchemes: Record<string, unknown> = {}
    for (const exposed of table.services) {
      const instance = directory.instances(exposed.service)[0]
      if (!instance) continue
      let doc: OpenApi
      try {
        const res = await request(`${instance.url}/openapi.json`, {
          headersTimeout: DEFAULTS.fetchTimeoutMs,
          bodyTimeout: DEFAULTS.fetchTimeoutMs,
        })
        if (res.statusCode !== 200) {
          await res.body.dump()
          continue
        }
        doc = (await res.body.json()) as OpenApi
      } catch {
        continue
      }
      securitySchemes = { ...securitySchemes, ...doc.components?.securitySchemes }
      for (const [path, operations] of Object.entries(doc.paths ?? {})) {
        const rewrite = exposed.rewrite.endsWith('/') ? exposed.rewrite.slice(0, -1) : exposed.rewrite
        if (rewrite && !path.startsWith(`${rewrite}/`) && path !== rewrite) continue
        const route = path.replace(/\{(\w+)\}/g, ':$1')
        const kept = Object.entries(operations).filter(
          ([method]) =>
            METHODS.has(method) && publicRoutes.find(exposed.service, method.toUpperCase(), route),
        )
        if (kept.length > 0) paths[exposed.prefix + path.slice(rewrite.length)] = Object.fromEntries(kept)
      }
    }
    return JSON.stringify({
      openapi: '3.0.3',
      info: { title: 'Trellis public API', version: directory.index.toString() },
      paths,
      components: { securitySchemes },
    })
  }
  const serve = async (context: Parameters<GatewayFilter['run']>[0]): Promise<void> => {
    const key = `${directory.epoch}:${directory.index}`
    if (cached?.key !== key) cached = { key, body: build() }
    const body = await cached.body
    context.writeHead({
      status: 200,
      headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
    })
    context.res.end(context.req.method === 'HEAD' ? undefined : body)
    context.handled = true
  }
  return {
    name: 'api-docs',
    stage: 'pre',
    // Synchronous for every other path.
    run: (context) =>
      context.path === '/openapi.json' && (context.req.method === 'GET' || context.req.method === 'HEAD')
        ? serve(context)
        : undefined,
  }
}
