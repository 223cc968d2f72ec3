import { join } from 'node:path'
import { Verifier } from '@pact-foundation/pact'
import { http, REPO_ROOT, startTestService, TEST_IDENTITIES } from '@trellis/testing'
import { describe, inject, it } from 'vitest'
import { inventory } from '../../src/service.js'

// Provider half of the contract storefront → inventory: the pact the
// storefront's consumer test wrote, replayed against the real inventory
// with its database. States are set up through inventory's own API.
const PACT = join(REPO_ROOT, 'contracts/pacts/storefront-inventory.json')

describe('contract storefront → inventory (provider)', () => {
  it('inventory honours the pact', async () => {
    const service = await startTestService(inventory, { postgresUrl: inject('postgresUrl') })
    try {
      await new Verifier({
        provider: 'inventory',
        providerBaseUrl: service.url,
        pactUrls: [PACT],
        stateHandlers: {
          'SKU PACT-TEE-S has 3 units, below its low-stock threshold': async () => {
            const res = await http(`${service.url}/stock/PACT-TEE-S`, {
              method: 'PUT',
              body: { lowStockThreshold: 5, onHand: 3 },
              headers: await service.as(TEST_IDENTITIES.admin),
            })
            if (res.status >= 300) throw new Error(`state setup failed: ${res.status}`)
          },
          'no stock record for SKU PACT-NONE': async () => undefined,
        },
        logLevel: 'warn',
      }).verifyProvider()
    } finally {
      await service.stop()
    }
  })
})
