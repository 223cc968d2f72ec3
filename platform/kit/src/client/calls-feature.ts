import { cached } from '../health/readiness.js'
import { RegistryClient } from '../registry/registry-client.js'
import { ServiceDirectory } from '../registry/service-directory.js'
import type { KitFeature } from '../service/feature.js'
import { CallErrors } from './call-errors.js'
import { resolvePolicies } from './call-policy.js'
import { ClientMetrics } from './client-metrics.js'
import { DependencyClient } from './dependency-client.js'
import { directorySource, type InstanceSource, staticSource } from './instance-source.js'

const NONE: InstanceSource = { current: () => [], subscribe: () => () => undefined }

/**
 * `ctx.call(dependency, request)` and `ctx.client(dependency)`: one
 * DependencyClient per service the definition lists in `dependsOn`, all fed
 * by ONE registry watch per process (a ServiceDirectory), or by fixed URLs
 * (`TRELLIS_CALL_<DEPENDENCY>_URLS`). Calling a service not in `dependsOn`
 * is a programming error and says so.
 */
export const callsFeature: KitFeature = {
  name: 'calls',
  setup({ definition, context, runtime, env, log, readiness }) {
    const dependencies = definition.dependsOn ?? []
    const policies = resolvePolicies(dependencies, definition.calls ?? {}, env)
    const metrics = ClientMetrics.of(context.metrics)
    const viaRegistry = [...policies.values()].some((p) => p.policy.urls.length === 0)
    let directory: ServiceDirectory | undefined
    if (viaRegistry && runtime.registryUrl) {
      directory = new ServiceDirectory(new RegistryClient(runtime.registryUrl), log)
      directory.start()
      const synced = directory
      readiness.add(
        'directory',
        cached(
          () => ({ ok: synced.synced, ...(synced.synced ? {} : { detail: 'registry not read yet' }) }),
          100,
        ),
      )
    }
    const clients = new Map<string, DependencyClient>()
    for (const [dependency, { policy, routes }] of policies) {
      let source = NONE
      if (policy.urls.length > 0) source = staticSource(dependency, policy.urls)
      else if (directory) source = directorySource(directory, dependency)
      else
        log.warn(
          { dependency },
          `no registry and no TRELLIS_CALL_${dependency.toUpperCase().replace(/-/g, '_')}_URLS: calls to ${dependency} will find no instance`,
        )
      clients.set(
        dependency,
        new DependencyClient(dependency, source, policy, {
          log,
          metrics,
          routes,
          caller: definition.name,
          tracer: context.tracer,
        }),
      )
    }
    if (dependencies.length > 0)
      log.info(
        { dependencies: Object.fromEntries([...policies].map(([name, p]) => [name, describe(p.policy)])) },
        'call policies',
      )
    context.client = (dependency) => {
      const client = clients.get(dependency)
      if (!client) throw CallErrors.undeclared(definition.name, dependency)
      return client
    }
    context.call = (dependency, request) => context.client(dependency).call(request)
    return {
      stop: async () => {
        directory?.stop()
        await Promise.all([...clients.values()].map((c) => c.close()))
      },
    }
  },
}

function describe(policy: DependencyClient['policy']): Record<string, unknown> {
  const { urls, ...rest } = policy
  return urls.length > 0 ? { ...rest, urls } : rest
}
