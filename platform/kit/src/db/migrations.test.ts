import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { checksum, loadMigrations, type Migration, planMigrations } from './migrations.js'

const migration = (version: number, sql: string): Migration => ({
  version,
  description: `m${version}`,
  file: `V${version}__m${version}.sql`,
  sql,
  checksum: checksum(sql),
})

describe('migration checksums', () => {
  it('is stable across line endings and sensitive to any other edit', () => {
    expect(checksum('CREATE TABLE a (id int);\n')).toBe(checksum('CREATE TABLE a (id int);\r\n'))
    expect(checksum('CREATE TABLE a (id int);')).not.toBe(checksum('CREATE TABLE a (id bigint);'))
  })

  it('plans only the migrations not yet applied, in order', () => {
    const files = [migration(1, 'a'), migration(2, 'b'), migration(3, 'c')]
    const plan = planMigrations(files, [{ namespace: 'service', version: 1, checksum: checksum('a') }])
    expect(plan.map((p) => (p.kind === 'apply' ? p.migration.version : p.kind))).toEqual([2, 3])
  })

  it('reports an applied migration whose file was edited', () => {
    const plan = planMigrations(
      [migration(1, 'a, edited')],
      [{ namespace: 'service', version: 1, checksum: checksum('a') }],
    )
    expect(plan).toEqual([expect.objectContaining({ kind: 'edited', recorded: checksum('a') })])
  })

  it('reports an applied migration whose file is gone', () => {
    const plan = planMigrations([], [{ namespace: 'service', version: 4, checksum: 'x' }])
    expect(plan).toEqual([{ kind: 'missing', version: 4 }])
  })

  it('loads files sorted by version number, not by name', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mig-'))
    await writeFile(join(dir, 'V10__later.sql'), 'SELECT 10')
    await writeFile(join(dir, 'V2__earlier.sql'), 'SELECT 2')
    const loaded = await loadMigrations(dir)
    expect(loaded.map((m) => [m.version, m.description])).toEqual([
      [2, 'earlier'],
      [10, 'later'],
    ])
  })

  it('refuses a badly named file and a duplicated version', async () => {
    const bad = await mkdtemp(join(tmpdir(), 'mig-'))
    await writeFile(join(bad, 'init.sql'), 'SELECT 1')
    await expect(loadMigrations(bad)).rejects.toThrow(/not named V<n>__<description>.sql/)
    const dup = await mkdtemp(join(tmpdir(), 'mig-'))
    await writeFile(join(dup, 'V1__a.sql'), 'SELECT 1')
    await writeFile(join(dup, 'V01__b.sql'), 'SELECT 1')
    await expect(loadMigrations(dup)).rejects.toThrow(/version 1 appears twice/)
  })

  it('treats a missing folder as no migrations', async () => {
    expect(await loadMigrations(join(tmpdir(), 'no-such-folder-trellis'))).toEqual([])
  })
})
