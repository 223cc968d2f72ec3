import type { InstanceRecord, RouteInfo } from '@trellis/kit/platform'
import Router, { type HTTPMethod } from 'find-my-way'

/**
 * Which upstream paths the gateway may forward: the routes that instances
 * registered as `public`. Everything else a service serves (health, metrics,
 * internal APIs) cannot be reached through the gateway, whatever the path.
 */
export class PublicRoutes {
  private routers = new Map<string, Router.Instance<Router.HTTPVersion.V1>>()
  private fingerprints = new Map<string, string>()

  /** Rebuilds the matchers of services whose route lists changed. */
  update(services: Record<string, InstanceRecord[]>): void {
    for (const name of this.routers.keys()) {
      if (!services[name]?.length) {
        this.routers.delete(name)
        this.fingerprints.delete(name)
      }
    }
    for (const [name, instances] of Object.entries(services)) {
      const routes = unionOfPublicRoutes(instances)
      const fingerprint = JSON.stringify(routes)
      if (this.fingerprints.get(name) === fingerprint) continue
      const router = Router({ ignoreTrailingSlash: true, maxParamLength: 256 })
      const noop = () => undefined
      for (const route of routes) {
        router.on(route.method as HTTPMethod, route.url, noop, route)
        if (route.method === 'GET') router.on('HEAD', route.url, noop, route)
      }
      this.routers.set(name, router)
      this.fingerprints.set(name, fingerprint)
    }
  }

  /** Unknown service (no instance has registered routes yet) → undefined: the caller decides. */
  allows(service: string, method: string, path: string): boolean | undefined {
    const found = this.find(service, method, path)
    return found === undefined ? undefined : found !== null
  }

  /** The public route a request matches (with its policy), null when none, undefined for an unknown service. */
  find(service: string, method: string, path: string): RouteInfo | null | undefined {
    const router = this.routers.get(service)
    if (!router) return undefined
    const found = router.find(method as HTTPMethod, path)
    return found ? (found.store as RouteInfo) : null
  }
}

function unionOfPublicRoutes(instances: InstanceRecord[]): RouteInfo[] {
  const seen = new Map<string, RouteInfo>()
  for (const instance of instances) {
    const routes = Array.isArray(instance.metadata.routes) ? instance.metadata.routes : []
    for (const route of routes) {
      if (route.access !== 'public') continue
      const key = `${route.method} ${route.url}`
      // Replicas that disagree (a rolling change of policy): the stricter, non-public one wins.
      if (seen.get(key) && route.auth === 'public') continue
      seen.set(key, route)
    }
  }
  return [...seen.values()].sort((a, b) => (`${a.method} ${a.url}` < `${b.method} ${b.url}` ? -1 : 1))
}
