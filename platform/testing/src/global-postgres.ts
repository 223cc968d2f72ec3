import type {} from 'vitest'
import type { TestProject } from 'vitest/node'
import { startTestPostgres } from './postgres.js'

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string
  }
}

/** Vitest global setup: one embedded Postgres for the whole run; tests get its admin URL with `inject('postgresUrl')`. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const postgres = await startTestPostgres()
  project.provide('postgresUrl', postgres.adminUrl)
  return () => postgres.stop()
}
