import { Registry } from 'prom-client'
import { type CallPolicy, callPolicy } from './call-policy.js'
import { ClientMetrics } from './client-metrics.js'
import { DependencyClient } from './dependency-client.js'
import { staticSource } from './instance-source.js'

/**
 * A client for fixed URLs outside a running service: contract tests point
 * a service's real client code at Pact's mock server this way; tools and
 * scripts call a service with the same policies.
 */
export function clientFor(
  dependency: string,
  urls: string[],
  policy: Partial<CallPolicy> = {},
): DependencyClient {
  return new DependencyClient(dependency, staticSource(dependency, urls), callPolicy(policy), {
    metrics: ClientMetrics.of(new Registry()),
  })
}
