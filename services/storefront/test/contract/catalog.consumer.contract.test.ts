import { mkdtemp, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { MatchersV3, PactV4 } from '@pact-foundation/pact'
import { clientFor } from '@trellis/kit'
import { REPO_ROOT } from '@trellis/testing'
import { afterAll, describe, expect, it } from 'vitest'
import { CatalogClient } from '../../src/clients/catalog-client.js'

// Consumer half of the contract storefront → catalog: what the storefront's
// real CatalogClient needs from catalog, run against Pact's mock server.
// The pact is written to a scratch folder and moved into contracts/pacts
// in one step, so catalog's provider half (services/catalog/test/contract)
// never reads a half-written file.
const PACTS = join(REPO_ROOT, 'contracts/pacts')
const scratch = await mkdtemp(join(PACTS, '.storefront-catalog-'))
const pact = new PactV4({ consumer: 'storefront', provider: 'catalog', dir: scratch, logLevel: 'warn' })
const { like, eachLike, integer, string, regex } = MatchersV3

export const PRODUCT_ID = '7d0c1e4a-1f2b-4c3d-8e9f-0a1b2c3d4e5f'
const problem = { 'content-type': regex('application/problem\\+json.*', 'application/problem+json') }

afterAll(async () => {
  await rename(join(scratch, 'storefront-catalog.json'), join(PACTS, 'storefront-catalog.json'))
  await rm(scratch, { recursive: true, force: true })
})

const client = (url: string) => new CatalogClient(clientFor('catalog', [url], { retries: 0 }))

describe('contract storefront → catalog (consumer)', () => {
  it('reads a product with its SKUs', async () => {
    await pact
      .addInteraction()
      .given('product 7d0c1e4a-1f2b-4c3d-8e9f-0a1b2c3d4e5f with SKU PACT-TEE-S exists')
      .uponReceiving('a read of one product')
      .withRequest('GET', `/products/${PRODUCT_ID}`)
      .willRespondWith(200, (b) =>
        b.jsonBody({
          id: PRODUCT_ID,
          merchantId: string('3f1e2d3c-4b5a-4968-8776-655443322110'),
          name: string('Pact Tee'),
          description: string('A tee for contracts.'),
          category: string('apparel'),
          status: string('active'),
          options: eachLike({ name: string('Size'), values: eachLike('S') }),
          skus: eachLike({
            sku: string('PACT-TEE-S'),
            options: like({ Size: 'S' }),
            priceCents: integer(2400),
            currency: string('USD'),
          }),
        }),
      )
      .executeTest(async (mock) => {
        const product = await client(mock.url).product(PRODUCT_ID)
        expect(product?.skus[0]?.sku).toBe('PACT-TEE-S')
      })
  })

  it('learns that a product does not exist', async () => {
    await pact
      .addInteraction()
      .given('no product 00000000-0000-4000-8000-000000000000')
      .uponReceiving('a read of a product that does not exist')
      .withRequest('GET', '/products/00000000-0000-4000-8000-000000000000')
      .willRespondWith(404, (b) =>
        b.headers(problem).jsonBody({ code: 'TRELLIS_CATALOG_PRODUCT_NOT_FOUND', status: 404 }),
      )
      .executeTest(async (mock) => {
        expect(await client(mock.url).product('00000000-0000-4000-8000-000000000000')).toBeUndefined()
      })
  })

  it('reads a SKU with its product name and price', async () => {
    await pact
      .addInteraction()
      .given('product 7d0c1e4a-1f2b-4c3d-8e9f-0a1b2c3d4e5f with SKU PACT-TEE-S exists')
      .uponReceiving('a read of one SKU')
      .withRequest('GET', '/skus/PACT-TEE-S')
      .willRespondWith(200, (b) =>
        b.jsonBody({
          sku: 'PACT-TEE-S',
          productId: PRODUCT_ID,
          productName: string('Pact Tee'),
          status: string('active'),
          options: like({ Size: 'S' }),
          priceCents: integer(2400),
          currency: string('USD'),
        }),
      )
      .executeTest(async (mock) => {
        expect(await client(mock.url).sku('PACT-TEE-S')).toMatchObject({ productId: PRODUCT_ID })
      })
  })
})
