import { hash, verify } from '@node-rs/argon2'

/**
 * Passwords are hashed with argon2id, memory-hard so that a stolen table is
 * slow to crack on GPUs. The defaults are OWASP's first recommendation
 * (19 MiB, 2 passes, 1 lane): about 23 ms a hash on one core of the 2-core
 * development machine (docs/security.md), so a sign-in stays well under
 * 100 ms. The work runs on libuv's thread pool, not the event loop.
 */
export interface PasswordParams {
  memoryKib: number
  iterations: number
}

const ARGON2ID = 2

/** Unicode passwords compare equal however the keyboard composed them (NIST SP 800-63B). */
function normalise(password: string): string {
  return password.normalize('NFKC')
}

export function hashPassword(password: string, params: PasswordParams): Promise<string> {
  return hash(normalise(password), {
    algorithm: ARGON2ID as never,
    memoryCost: params.memoryKib,
    timeCost: params.iterations,
    parallelism: 1,
  })
}

export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, normalise(password))
  } catch {
    return false
  }
}

/**
 * Verified when the email is unknown, so that a wrong email takes as long
 * as a wrong password and sign-in does not reveal which accounts exist.
 */
export const DUMMY_HASH =
  '$argon2id$v=19$m=19456,t=2,p=1$Gqo+E1TEN0F3xlYM5eubtA$yXqhwY83lLoPsEx+ywdfiti3o9L6yJt9V9nx/kr5R3Q'
