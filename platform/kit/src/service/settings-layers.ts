import { LiveSettings, type SettingsGroup } from '../config/live-settings.js'
import { loadSettings, type SettingsDefinition, type SettingsOf } from '../config/settings.js'
import type { Logger } from '../log/logger.js'
import type { FeaturePrepare, KitFeature } from './feature.js'
import { RuntimeSettings } from './runtime-settings.js'

/**
 * Every setting of an instance as layers the config server may change: the
 * service's own (keys as declared), the kit's (`kit.<key>`), and each
 * feature's (`<feature>.<key>`, read from `TRELLIS_<FEATURE>_<KEY>`).
 */
export function settingsLayers(input: {
  serviceSettings: SettingsDefinition
  settings: Record<string, unknown>
  runtime: SettingsOf<typeof RuntimeSettings.specs>
  features: Array<KitFeature<unknown>>
  env: Record<string, string | undefined>
  log: Logger
}): { live: LiveSettings; featureSettings: Map<KitFeature<unknown>, Record<string, unknown>> } {
  const groups: SettingsGroup[] = [
    { namespace: '', definition: input.serviceSettings, values: input.settings },
    { namespace: 'kit', definition: RuntimeSettings, values: input.runtime },
  ]
  const featureSettings = new Map<KitFeature<unknown>, Record<string, unknown>>()
  for (const feature of input.features) {
    if (!feature.settings) continue
    const values = loadSettings(feature.settings, input.env, feature.name)
    featureSettings.set(feature, values)
    groups.push({ namespace: feature.name, definition: feature.settings, values })
  }
  const live = new LiveSettings(groups, (error, namespace) =>
    input.log.error({ err: error, namespace }, 'a settings change listener failed'),
  )
  // The log level is a live setting like any other.
  live.view('kit').onChange(() => {
    input.log.level = input.runtime.logLevel
  })
  return { live, featureSettings }
}

/** Runs each feature's `prepare`, in order; what each returns goes to its `setup`. */
export async function prepareFeatures(
  features: Array<KitFeature<unknown>>,
  input: FeaturePrepare,
): Promise<Map<KitFeature<unknown>, unknown>> {
  const prepared = new Map<KitFeature<unknown>, unknown>()
  for (const feature of features) if (feature.prepare) prepared.set(feature, await feature.prepare(input))
  input.log.level = input.runtime.logLevel
  return prepared
}
