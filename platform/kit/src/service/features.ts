import { authFeature } from '../auth/auth-feature.js'
import { callsFeature } from '../client/calls-feature.js'
import { centralConfiguration } from '../config/config-feature.js'
import { purgeIdempotencyKeys } from '../db/idempotency.js'
import { faultsFeature } from '../faults/faults-feature.js'
import { deadlineFeature } from '../http/deadline-feature.js'
import { messaging } from '../messaging/messaging-feature.js'
import { metricsFeature } from '../metrics/metrics-feature.js'
import { sagaFeature } from '../sagas/saga-feature.js'
import { tracingFeature } from '../tracing/tracing-feature.js'
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

/**
 * Every feature, in setup order (stopped in reverse). Central configuration
 * comes first: it settles the settings the others read. Then metrics, since
 * the others add series to its registry; then tracing, whose request span
 * opens before anything else looks at a request; then authentication, so that a
 * refused caller costs nothing more; the deadline check before fault
 * injection, so that an injected delay can make a deadline pass. Sagas come
 * before messaging, which carries their commands and replies.
 */
// biome-ignore lint/suspicious/noExplicitAny: each feature hands its own prepared state to its own setup
export const FEATURES: KitFeature<any>[] = [
  centralConfiguration,
  metricsFeature,
  tracingFeature,
  authFeature,
  deadlineFeature,
  faultsFeature,
  callsFeature,
  idempotencyPurge,
  sagaFeature,
  messaging,
]
