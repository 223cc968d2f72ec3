import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { eventually, REPO_ROOT, startTestSystem, type TestSystem, tempHome } from '@trellis/testing'
import { afterEach, describe, expect, inject, it } from 'vitest'

// Failure handling of the control loop, on small topologies sharing the
// run's Postgres (each system gets its own database names).
let system: TestSystem | undefined
const folders: Array<{ remove(): Promise<void> }> = []
afterEach(async () => {
  await system?.stop()
  system = undefined
  for (const folder of folders.splice(0)) await folder.remove()
})

async function topology(services: string): Promise<string> {
  const dir = await tempHome('trellis-topology-')
  folders.push(dir)
  const file = join(dir.dir, 'trellis.yaml')
  await writeFile(file, `name: failures\nservices:\n${services}`)
  return file
}

const fast = {
  backoffBaseMs: 50,
  backoffMaxMs: 400,
  crashLoopThreshold: 5,
  crashWindowMs: 60_000,
  liveFailureThreshold: 3,
  startTimeoutMs: 30_000,
}
let prefix = 0
const shared = () => ({ postgresUrl: inject('postgresUrl'), databasePrefix: `f${++prefix}_${process.pid}_` })

describe('control loop failure handling', () => {
  it('does not restart an instance that exits with a configuration error, and says why', async () => {
    const file = await topology(`  catalog:
    path: ${join(REPO_ROOT, 'services/catalog')}
    database: true
    env: { TRELLIS_CATALOG_DEFAULT_PAGE_SIZE: "many" }
`)
    system = await startTestSystem({ topologyFile: file, policy: fast, ...shared() })
    const failed = await eventually(
      () => system!.status().instances.find((i) => i.key === 'catalog-1' && i.phase === 'failed'),
      20_000,
      'catalog-1 failed',
    )
    expect(failed.message).toMatch(/configuration error/)
    // Its last words travel through a pipe; they may arrive after the exit.
    await eventually(
      () =>
        system!.logs.some(
          (l) =>
            l.startsWith('catalog-1') &&
            l.includes('defaultPageSize (TRELLIS_CATALOG_DEFAULT_PAGE_SIZE=\\"many\\")'),
        ),
      5_000,
      'the reason in the log',
    )
    // Not retried: a configuration error is not fixed by restarting.
    await new Promise((r) => setTimeout(r, 1_000))
    expect(system.status().instances.find((i) => i.key === 'catalog-1')).toMatchObject({
      phase: 'failed',
      restarts: 0,
    })
  })

  it('backs off and reports a crash loop for an instance that keeps dying', async () => {
    const file = await topology(`  crasher:
    path: ${join(REPO_ROOT, 'tests/fixtures')}
    entry: crash.mjs
`)
    system = await startTestSystem({ topologyFile: file, policy: fast, ...shared() })
    const looping = await eventually(
      () => system!.status().instances.find((i) => i.key === 'crasher-1' && i.phase === 'crash-loop'),
      20_000,
      'crash loop',
    )
    expect(looping.restarts).toBeGreaterThanOrEqual(5)
    expect(looping.message).toBe('exited with code 1')
  })

  it('restarts an instance whose liveness probe stops answering', async () => {
    const file = await topology(`  hanger:
    path: ${join(REPO_ROOT, 'tests/fixtures')}
    entry: hang.mjs
`)
    system = await startTestSystem({ topologyFile: file, policy: fast, ...shared() })
    const first = await eventually(
      () => system!.status().instances.find((i) => i.key === 'hanger-1' && i.pid),
      10_000,
      'hanger started',
    )
    const restarted = await eventually(
      () =>
        system!
          .status()
          .instances.find((i) => i.key === 'hanger-1' && i.restarts >= 1 && i.pid !== first.pid),
      30_000,
      'hanger restarted',
    )
    expect(restarted.restarts).toBeGreaterThanOrEqual(1)
  })
})
