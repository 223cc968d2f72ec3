import { join } from 'node:path'
import { Verifier } from '@pact-foundation/pact'
import { REPO_ROOT, startTestService } from '@trellis/testing'
import { describe, inject, it } from 'vitest'
import { catalog } from '../../src/service.js'

// Provider half of the contract control → catalog: the committed pact
// (written by platform/control/test/contract) replayed against the real
// catalog with its database. The control loop probes every service the
// same way; catalog stands for them.
const PACTS = join(REPO_ROOT, 'contracts/pacts')

describe('contract control → catalog: health probes (provider)', () => {
  it('catalog honours the pact', async () => {
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
