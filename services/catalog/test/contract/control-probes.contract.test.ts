import { join } from 'node:path'
import { MatchersV3, PactV4, Verifier } from '@pact-foundation/pact'
import { probeEndpoint } from '@trellis/control'
import { REPO_ROOT, startTestService } from '@trellis/testing'
import { describe, expect, inject, it } from 'vitest'
import { catalog } from '../../src/service.js'

// Consumer-driven contract: the control loop (consumer) needs every service
// (provider; catalog here) to answer its liveness and readiness probes.
// The consumer half runs the control loop's real probe code against Pact's
// mock and writes the pact; the provider half replays it against the real
// catalog with its database.
const PACTS = join(REPO_ROOT, 'contracts/pacts')
const pact = new PactV4({ consumer: 'control', provider: 'catalog', dir: PACTS, logLevel: 'warn' })

describe('contract control → catalog: health probes', () => {
  it('consumer: the probe reads 200 from /health/live as live', async () => {
    await pact
      .addInteraction()
      .uponReceiving('a liveness probe')
      .withRequest('GET', '/health/live')
      .willRespondWith(200, (b) => b.jsonBody({ status: MatchersV3.string('ok') }))
      .executeTest(async (mock) => {
        expect(await probeEndpoint(mock.port, '/health/live')).toBe(true)
      })
  })

  it('consumer: the probe reads 200 from /health/ready as ready', async () => {
    await pact
      .addInteraction()
      .given('the instance is ready')
      .uponReceiving('a readiness probe')
      .withRequest('GET', '/health/ready')
      .willRespondWith(200, (b) =>
        b.jsonBody({ status: 'ready', ready: true, checks: MatchersV3.like({ database: { ok: true } }) }),
      )
      .executeTest(async (mock) => {
        expect(await probeEndpoint(mock.port, '/health/ready')).toBe(true)
      })
  })

  it('provider: catalog honours the pact', async () => {
    const service = await startTestService(catalog, { postgresUrl: inject('postgresUrl') })
    try {
      await new Verifier({
        provider: 'catalog',
        providerBaseUrl: service.url,
        pactUrls: [join(PACTS, 'control-catalog.json')],
        stateHandlers: { 'the instance is ready': async () => undefined },
        logLevel: 'warn',
      }).verifyProvider()
    } finally {
      await service.stop()
    }
  })
})
