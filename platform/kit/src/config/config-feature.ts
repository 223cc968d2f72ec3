import type { KitFeature } from '../service/feature.js'
import type { CentralConfig } from './central-config.js'
import { centralConfigFrom } from './config-link.js'

/**
 * Central configuration: with `TRELLIS_CONFIG_URL` set, the instance loads
 * its effective configuration before anything reads a setting, watches it,
 * applies changes live, publishes its settings' schema, and reports the
 * version it runs in `/health` and in the registry. Without it the feature
 * is off and the instance runs on its environment exactly as before.
 */
export const centralConfiguration: KitFeature<CentralConfig | undefined> = {
  name: 'config',
  async prepare({ definition, instanceId, version, runtime, log, live }) {
    const central = centralConfigFrom(
      runtime,
      { application: definition.name, instance: instanceId, version },
      live,
      log,
    )
    await central?.boot()
    return central
  },
  setup({ prepared: central, refreshRegistration }) {
    if (!central) return undefined
    central.onStatusChange = refreshRegistration
    central.start()
    return {
      metadata: () => ({ config: central.metadata() }),
      health: () => ({ config: central.status() }),
      stop: () => central.stop(),
    }
  },
}
