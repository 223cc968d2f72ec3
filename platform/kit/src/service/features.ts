import { authFeature } from '../auth/auth-feature.js'
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

/** Every feature, in setup order (stopped in reverse). */
export const FEATURES: KitFeature[] = [authFeature, idempotencyPurge]
