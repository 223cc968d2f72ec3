import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { EmbeddedPostgres, freePort } from '@trellis/control'
import pg from 'pg'
import { tempHome } from './temp-home.js'

export interface TestPostgres {
  /** Superuser URL of the `postgres` database. */
  adminUrl: string
  stop(): Promise<void>
}

/** A throw-away embedded Postgres on a free port, in a temporary folder. */
export async function startTestPostgres(): Promise<TestPostgres> {
  const home = await tempHome('trellis-pg-')
  const password = randomBytes(12).toString('base64url')
  const server = new EmbeddedPostgres({
    dataDir: join(home.dir, 'pg'),
    port: await freePort(),
    superuser: 'trellis',
    password,
  })
  await server.initialise()
  await server.start()
  return {
    adminUrl: server.url,
    stop: async () => {
      await server.stop()
      await home.remove()
    },
  }
}

/** A fresh, empty database on the server; its URL connects as the superuser. */
export async function createTestDatabase(adminUrl: string, prefix = 'test'): Promise<string> {
  const name = `${prefix.replace(/[^a-z0-9_]/g, '_')}_${randomBytes(5).toString('hex')}`
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    await client.query(`CREATE DATABASE "${name}"`)
  } finally {
    await client.end()
  }
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return url.toString()
}
