import { mkdtemp, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { MatchersV3, PactV4 } from '@pact-foundation/pact'
import { clientFor } from '@trellis/kit'
import { REPO_ROOT } from '@trellis/testing'
import { afterAll, describe, expect, it } from 'vitest'
import { InventoryClient } from '../../src/clients/inventory-client.js'

// Consumer half of the contract storefront → inventory: what the
// storefront's real InventoryClient needs. Written to a scratch folder and
// moved into contracts/pacts in one step (see the catalog contract).
const PACTS = join(REPO_ROOT, 'contracts/pacts')
const scratch = await mkdtemp(join(PACTS, '.storefront-inventory-'))
const pact = new PactV4({ consumer: 'storefront', provider: 'inventory', dir: scratch, logLevel: 'warn' })
const { integer, boolean, regex } = MatchersV3

afterAll(async () => {
  await rename(join(scratch, 'storefront-inventory.json'), join(PACTS, 'storefront-inventory.json'))
  await rm(scratch, { recursive: true, force: true })
})

const client = (url: string) => new InventoryClient(clientFor('inventory', [url], { retries: 0 }))

describe('contract storefront → inventory (consumer)', () => {
  it('reads the stock of a SKU', async () => {
    await pact
      .addInteraction()
      .given('SKU PACT-TEE-S has 3 units, below its low-stock threshold')
      .uponReceiving('a read of the availability of one SKU')
      .withRequest('GET', '/availability/PACT-TEE-S')
      .willRespondWith(200, (b) =>
        b.jsonBody({ sku: 'PACT-TEE-S', available: integer(3), lowStock: boolean(true) }),
      )
      .executeTest(async (mock) => {
        expect(await client(mock.url).stock('PACT-TEE-S')).toEqual({
          kind: 'known',
          level: { sku: 'PACT-TEE-S', available: 3, lowStock: true },
        })
      })
  })

  it('learns that a SKU has no stock record', async () => {
    await pact
      .addInteraction()
      .given('no stock record for SKU PACT-NONE')
      .uponReceiving('a read of the availability of an untracked SKU')
      .withRequest('GET', '/availability/PACT-NONE')
      .willRespondWith(404, (b) =>
        b
          .headers({ 'content-type': regex('application/problem\\+json.*', 'application/problem+json') })
          .jsonBody({ code: 'TRELLIS_INVENTORY_SKU_NOT_FOUND', status: 404 }),
      )
      .executeTest(async (mock) => {
        expect(await client(mock.url).stock('PACT-NONE')).toEqual({ kind: 'untracked' })
      })
  })
})
