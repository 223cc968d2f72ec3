import pg from 'pg'
import { type Credentials, newPassword } from './credentials.js'

/** Role and database names for a service: `catalog` → role `svc_catalog`, database `catalog`. */
export function roleName(service: string, prefix = ''): string {
  return `${prefix}svc_${service.replace(/-/g, '_')}`
}

export function databaseName(service: string, prefix = ''): string {
  return `${prefix}${service.replace(/-/g, '_')}`
}

/**
 * One database and one login role per service. The role owns its database
 * and nothing else; CONNECT is revoked from PUBLIC on every database, so a
 * service's credentials cannot open another service's data (nor the
 * `postgres` maintenance database). Idempotent: run at every start.
 */
export async function provisionDatabases(
  adminUrl: string,
  services: string[],
  credentials: Credentials,
  /** Prepended to role and database names, so several systems can share one server (tests). */
  prefix = '',
): Promise<Map<string, { user: string; password: string; database: string }>> {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  const result = new Map<string, { user: string; password: string; database: string }>()
  try {
    for (const maintenance of ['postgres', 'template1']) {
      await client.query(`REVOKE CONNECT ON DATABASE ${ident(maintenance)} FROM PUBLIC`)
    }
    for (const service of services) {
      const role = roleName(service, prefix)
      const database = databaseName(service, prefix)
      const password = credentials.roles[service] ?? newPassword()
      credentials.roles[service] = password
      const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role])
      // Passwords cannot be bound as parameters in DDL; they are generated, base64url only.
      const verb = exists.rowCount ? 'ALTER' : 'CREATE'
      await client.query(
        `${verb} ROLE ${ident(role)} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD ${literal(password)}`,
      )
      const db = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database])
      if (!db.rowCount) await client.query(`CREATE DATABASE ${ident(database)} OWNER ${ident(role)}`)
      await client.query(`REVOKE ALL ON DATABASE ${ident(database)} FROM PUBLIC`)
      await client.query(`GRANT CONNECT, TEMPORARY ON DATABASE ${ident(database)} TO ${ident(role)}`)
      result.set(service, { user: role, password, database })
    }
  } finally {
    await client.end()
  }
  return result
}

function ident(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`unsafe identifier ${name}`)
  return `"${name}"`
}

function literal(value: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(value)) throw new Error('unsafe password literal')
  return `'${value}'`
}
