import { randomBytes } from 'node:crypto'
import { readFile, rename, writeFile } from 'node:fs/promises'

/**
 * Passwords of the local Postgres: the superuser's and one per service role.
 * Kept in `.trellis/credentials.json`, readable by the owner only; generated
 * on first use and stable afterwards (the data folder depends on them).
 */
export interface Credentials {
  superuser: { user: string; password: string }
  roles: Record<string, string>
}

export async function loadCredentials(file: string): Promise<Credentials> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined
    throw error
  })
  if (text === undefined) return { superuser: { user: 'trellis', password: newPassword() }, roles: {} }
  try {
    const parsed = JSON.parse(text) as Credentials
    if (!parsed.superuser?.password) throw new Error('no superuser password')
    return { superuser: parsed.superuser, roles: parsed.roles ?? {} }
  } catch (error) {
    throw new Error(
      `${file} is unreadable (${(error as Error).message}); restore it, or delete the .trellis folder to start with fresh data`,
    )
  }
}

export async function saveCredentials(file: string, credentials: Credentials): Promise<void> {
  const temp = `${file}.tmp`
  await writeFile(temp, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 })
  await rename(temp, file)
}

export function newPassword(): string {
  return randomBytes(18).toString('base64url')
}
