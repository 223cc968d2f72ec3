import { join } from 'node:path'
import { MatchersV3, PactV4, Verifier } from '@pact-foundation/pact'
import { createLogger, RegistryClient } from '@trellis/kit/platform'
import { REPO_ROOT } from '@trellis/testing'
import { describe, expect, it } from 'vitest'
import { createRegistryApp } from '../../src/registry-app.js'

// Consumer-driven contract: the gateway (consumer, through the kit's
// RegistryClient that its ServiceDirectory uses) needs the registry
// (provider) to list instances with their URL and public routes.
const PACTS = join(REPO_ROOT, 'contracts/pacts')
const pact = new PactV4({ consumer: 'gateway', provider: 'registry', dir: PACTS, logLevel: 'warn' })
const { eachLike, integer, string, like } = MatchersV3

describe('contract gateway → registry: the catalogue', () => {
  it('consumer: reads instances, their URL and routes', async () => {
    await pact
      .addInteraction()
      .given('catalog-1 of catalog is registered')
      .uponReceiving('a read of the whole catalogue')
      .withRequest('GET', '/v1/services')
      .willRespondWith(200, (b) =>
        b.jsonBody({
          index: integer(7),
          services: {
            catalog: eachLike({
              service: 'catalog',
              id: string('catalog-1'),
              url: string('http://127.0.0.1:4001'),
              metadata: like({ routes: eachLike({ method: 'GET', url: '/products', access: 'public' }) }),
            }),
          },
        }),
      )
      .executeTest(async (mock) => {
        const snapshot = await new RegistryClient(mock.url).catalog()
        expect(snapshot.services['catalog']?.[0]?.url).toBe('http://127.0.0.1:4001')
      })
  })

  it('provider: the registry honours the pact', async () => {
    const { app, table } = createRegistryApp({
      log: createLogger({ service: 'registry', instance: 'contract', level: 'silent' }),
      ttlMs: 60_000,
      heartbeatIntervalMs: 1_000,
      sweepIntervalMs: 1_000,
      maxWaitMs: 1_000,
    })
    await app.listen({ host: '127.0.0.1', port: 0 })
    try {
      const address = app.server.address()
      await new Verifier({
        provider: 'registry',
        providerBaseUrl: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
        pactUrls: [join(PACTS, 'gateway-registry.json')],
        stateHandlers: {
          'catalog-1 of catalog is registered': async () => {
            table.register({
              service: 'catalog',
              id: 'catalog-1',
              host: '127.0.0.1',
              port: 4001,
              version: '1',
              metadata: { routes: [{ method: 'GET', url: '/products', access: 'public' }] },
            })
          },
        },
        logLevel: 'warn',
      }).verifyProvider()
    } finally {
      await app.close()
    }
  })
})
