import type { KitFeature } from '../service/feature.js'
import { CentralConfig, profileFor } from './central-config.js'
import { ConfigErrors } from './settings.js'

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
    if (!runtime.configUrl) return undefined
    if (!runtime.configToken)
      throw ConfigErrors.invalid(
        'TRELLIS_CONFIG_URL is set but TRELLIS_CONFIG_TOKEN is not; the config server needs the service token to serve its configuration',
      )
    const central = new CentralConfig({
      url: runtime.configUrl,
      token: runtime.configToken,
      application: definition.name,
      profile: runtime.configProfile || profileFor(runtime.env),
      instance: instanceId,
      version,
      cacheDir: runtime.configCacheDir,
      bootWaitMs: runtime.configWaitMs,
      settings: live,
      log,
    })
    await central.boot()
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
