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
  /** The config server's encryption key and admin token; generated on first use, passed to the config server only. */
  config?: { encryptionKey: string; adminToken: string }
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
    return {
      superuser: parsed.superuser,
      roles: parsed.roles ?? {},
      ...(parsed.config?.encryptionKey && parsed.config.adminToken ? { config: parsed.config } : {}),
    }
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

/** The config server's key (32 random bytes) and admin token, made once and kept with the passwords. */
export function configSecrets(credentials: Credentials): { encryptionKey: string; adminToken: string } {
  credentials.config ??= {
    encryptionKey: randomBytes(32).toString('base64url'),
    adminToken: randomBytes(32).toString('base64url'),
  }
  return credentials.config
}
