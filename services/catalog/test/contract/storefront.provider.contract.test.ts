import { join } from 'node:path'
import { Verifier } from '@pact-foundation/pact'
import { REPO_ROOT, startTestService } from '@trellis/testing'
import { describe, inject, it } from 'vitest'
import { catalog } from '../../src/service.js'

// Provider half of the contract storefront → catalog: the pact the
// storefront's consumer test wrote (contracts/pacts/storefront-catalog.json)
// replayed against the real catalog with its database.
const PACT = join(REPO_ROOT, 'contracts/pacts/storefront-catalog.json')
const MERCHANT = '3f1e2d3c-4b5a-4968-8776-655443322110'
const PRODUCT = '7d0c1e4a-1f2b-4c3d-8e9f-0a1b2c3d4e5f'

describe('contract storefront → catalog (provider)', () => {
  it('catalog honours the pact', async () => {
    const service = await startTestService(catalog, { postgresUrl: inject('postgresUrl') })
    const db = service.context.db
    try {
      await new Verifier({
        provider: 'catalog',
        providerBaseUrl: service.url,
        pactUrls: [PACT],
        stateHandlers: {
          [`product ${PRODUCT} with SKU PACT-TEE-S exists`]: async () => {
            await db.query(
              `INSERT INTO merchants (id, slug, name) VALUES ($1, 'pact-merchant', 'Pact Merchant') ON CONFLICT DO NOTHING`,
              [MERCHANT],
            )
            await db.query(
              `INSERT INTO products (id, merchant_id, name, description, category, options)
               VALUES ($1, $2, 'Pact Tee', 'A tee for contracts.', 'apparel', '[{"name":"Size","values":["S"]}]')
               ON CONFLICT DO NOTHING`,
              [PRODUCT, MERCHANT],
            )
            await db.query(
              `INSERT INTO skus (sku, product_id, options, price_cents) VALUES ('PACT-TEE-S', $1, '{"Size":"S"}', 2400)
               ON CONFLICT DO NOTHING`,
              [PRODUCT],
            )
          },
          'no product 00000000-0000-4000-8000-000000000000': async () => undefined,
        },
        logLevel: 'warn',
      }).verifyProvider()
    } finally {
      await service.stop()
    }
  })
})
