import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ConfigCache } from './config-cache.js'

const dirs: string[] = []
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true })
})
const scope = { application: 'shop', profile: 'local', instance: 'shop-1' }
const config = {
  application: 'shop',
  profile: 'local',
  version: 7,
  values: { pageSize: 5, apiKey: 'sk-very-secret' },
}

describe('last good configuration', () => {
  it('round-trips, encrypted: the file holds no value in clear', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'trellis-cache-'))
    dirs.push(dir)
    const cache = new ConfigCache(dir, scope, 'token-a')
    expect(await cache.load()).toBeUndefined()
    await cache.save(config)
    const text = await readFile(cache.file, 'utf8')
    expect(text).not.toContain('sk-very-secret')
    expect(text).not.toContain('pageSize')
    expect(JSON.parse(text)).toMatchObject({ format: 1, version: 7, application: 'shop' })
    expect(await cache.load()).toMatchObject({ config })
  })

  it('ignores a file written with another token, or damaged', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'trellis-cache-'))
    dirs.push(dir)
    await new ConfigCache(dir, scope, 'token-a').save(config)
    expect(await new ConfigCache(dir, scope, 'token-b').load()).toMatchObject({
      problem: expect.stringMatching(/unreadable/),
    })
    const other = new ConfigCache(dir, { ...scope, instance: 'shop-2' }, 'token-a')
    expect(await other.load()).toBeUndefined()
  })
})
