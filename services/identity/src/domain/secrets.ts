import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto'

/**
 * Refresh tokens and API keys are random secrets with a public id in front:
 * `<id>.<secret>` and `trk_<id>_<secret>`. The id finds the row; the secret
 * (256 random bits) is stored only as its SHA-256, which is enough for a
 * secret nobody chose (a slow hash protects guessable passwords, not these).
 */
const REFRESH = /^([0-9a-f]{32})\.([A-Za-z0-9_-]{43})$/
const API_KEY = /^trk_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/

export interface Secret {
  id: string
  secret: string
  hash: string
}

function fresh(): Secret {
  const id = randomUUID()
  const secret = randomBytes(32).toString('base64url')
  return { id, secret, hash: sha256(secret) }
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

export function sameHash(stored: string, secret: string): boolean {
  const a = Buffer.from(stored, 'hex')
  const b = Buffer.from(sha256(secret), 'hex')
  return a.length === b.length && timingSafeEqual(a, b)
}

const compact = (uuid: string) => uuid.replace(/-/g, '')
const expand = (hex: string) =>
  `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`

export function newRefreshToken(): Secret & { token: string } {
  const s = fresh()
  return { ...s, token: `${compact(s.id)}.${s.secret}` }
}

export function parseRefreshToken(token: string): { id: string; secret: string } | undefined {
  const match = REFRESH.exec(token)
  return match ? { id: expand(match[1]!), secret: match[2]! } : undefined
}

export function newApiKey(): Secret & { key: string } {
  const s = fresh()
  return { ...s, key: `trk_${compact(s.id)}_${s.secret}` }
}

export function parseApiKey(key: string): { id: string; secret: string } | undefined {
  const match = API_KEY.exec(key)
  return match ? { id: expand(match[1]!), secret: match[2]! } : undefined
}
