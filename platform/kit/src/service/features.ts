import { centralConfiguration } from '../config/config-feature.js'
import { purgeIdempotencyKeys } from '../db/idempotency.js'
import type { KitFeature } from './feature.js'

/** Forgets idempotency keys older than a day, hourly. */
const idempotencyPurge: KitFeature = {
  name: 'idempotency-purge',
  setup({ db }) {
    if (!db) return undefined
    const timer = setInterval(() => void purgeIdempotencyKeys(db).catch(() => undefined), 3_600_000)
    timer.unref()
    return { stop: () => clearInterval(timer) }
  },
}

/** Every feature, in setup order (stopped in reverse). Central configuration comes first: it settles the settings the others read. */
// biome-ignore lint/suspicious/noExplicitAny: each feature hands its own prepared state to its own setup
export const FEATURES: KitFeature<any>[] = [centralConfiguration, idempotencyPurge]
