import { type BrokerName, brokerStatus } from '@trellis/testing'
import { describe, it } from 'vitest'

/**
 * Runs `suite` when the broker is reachable on 127.0.0.1. Otherwise: with
 * TRELLIS_REQUIRE_BROKERS=1 (CI) a failing test says it is missing; without
 * it the tests are skipped, and the skipped test's name says why.
 */
export async function withBroker(name: BrokerName, suite: () => void): Promise<void> {
  const status = await brokerStatus(name)
  if (status.run) return suite()
  if (status.required)
    describe(`${name} transport`, () => {
      it(`needs ${name}`, () => {
        throw new Error(status.reason)
      })
    })
  else {
    process.stderr.write(`[messaging] ${status.reason}\n`)
    describe.skip(`${name} transport (skipped: ${status.reason})`, () => {
      it('conformance', () => undefined)
    })
  }
}
