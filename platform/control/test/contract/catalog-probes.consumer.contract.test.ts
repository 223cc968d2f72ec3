import { mkdtemp, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { MatchersV3, PactV4 } from '@pact-foundation/pact'
import { REPO_ROOT } from '@trellis/testing'
import { afterAll, describe, expect, it } from 'vitest'
import { probeEndpoint } from '../../src/index.js'

// Consumer half of the contract control → catalog: the control loop needs
// every service (catalog stands for them) to answer its liveness and
// readiness probes. The control loop's real probe code runs against Pact's
// mock; the pact is written to a scratch folder and moved into
// contracts/pacts in one step, so catalog's provider half
// (services/catalog/test/contract) never reads a half-written file.
const PACTS = join(REPO_ROOT, 'contracts/pacts')
const scratch = await mkdtemp(join(PACTS, '.control-catalog-'))
const pact = new PactV4({ consumer: 'control', provider: 'catalog', dir: scratch, logLevel: 'warn' })

afterAll(async () => {
  await rename(join(scratch, 'control-catalog.json'), join(PACTS, 'control-catalog.json'))
  await rm(scratch, { recursive: true, force: true })
})

describe('contract control → catalog: health probes (consumer)', () => {
  it('reads 200 from /health/live as live', async () => {
    await pact
      .addInteraction()
      .uponReceiving('a liveness probe')
      .withRequest('GET', '/health/live')
      .willRespondWith(200, (b) => b.jsonBody({ status: MatchersV3.string('ok') }))
      .executeTest(async (mock) => {
        expect(await probeEndpoint(mock.port, '/health/live')).toBe(true)
      })
  })

  it('reads 200 from /health/ready as ready', async () => {
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
})
