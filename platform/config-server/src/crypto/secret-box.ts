import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'

const FORMAT = 'v1'

/**
 * Secrets at rest: AES-256-GCM with a fresh 96-bit nonce per value. The
 * associated data binds a ciphertext to its place (application, profile,
 * instance, key), so a sealed value copied to another key does not open.
 * Sealed values carry a format prefix, leaving room for key rotation.
 */
export class SecretBox {
  private readonly key: Buffer

  constructor(keyText: string) {
    const key = Buffer.from(keyText.replace(/-/g, '+').replace(/_/g, '/'), 'base64')
    if (key.length !== 32) throw new Error('the encryption key must be 32 bytes, base64 or base64url')
    this.key = key
  }

  seal(value: unknown, place: string): string {
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', this.key, iv)
    cipher.setAAD(Buffer.from(place))
    const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()])
    return `${FORMAT}.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`
  }

  /** The value; throws when the key or the place is not the one it was sealed with. */
  open(sealed: string, place: string): unknown {
    const [format, payload] = sealed.split('.', 2)
    if (format !== FORMAT || !payload) throw new Error(`unknown sealed format ${format}`)
    const raw = Buffer.from(payload, 'base64url')
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12))
    decipher.setAAD(Buffer.from(place))
    decipher.setAuthTag(raw.subarray(12, 28))
    return JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8'))
  }
}
