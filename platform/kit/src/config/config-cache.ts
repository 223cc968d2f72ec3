import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { EffectiveConfig } from './config-client.js'

/**
 * The last good configuration of one instance, on local disk, so that it can
 * start when the config server is unreachable. The file holds secrets, so it
 * is encrypted (AES-256-GCM) with a key derived from the service's config
 * token: only the same service can read it back, and a changed token simply
 * makes an old file unreadable (it is then ignored).
 */
export class ConfigCache {
  private readonly key: Buffer

  constructor(
    private readonly dir: string,
    private readonly scope: { application: string; profile: string; instance: string },
    token: string,
  ) {
    this.key = createHash('sha256').update(`trellis-config-cache\0${token}`).digest()
  }

  get file(): string {
    const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_')
    return join(
      this.dir,
      safe(this.scope.application),
      `${safe(this.scope.profile)}--${safe(this.scope.instance)}.json`,
    )
  }

  async save(config: EffectiveConfig): Promise<void> {
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', this.key, iv)
    cipher.setAAD(Buffer.from(this.aad()))
    const sealed = Buffer.concat([cipher.update(JSON.stringify(config), 'utf8'), cipher.final()])
    const document = {
      format: 1,
      ...this.scope,
      version: config.version,
      savedAt: new Date().toISOString(),
      sealed: Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64'),
    }
    await mkdir(join(this.file, '..'), { recursive: true, mode: 0o700 })
    const temp = `${this.file}.${process.pid}.tmp`
    await writeFile(temp, `${JSON.stringify(document, null, 2)}\n`, { mode: 0o600 })
    await rename(temp, this.file)
  }

  /** The saved configuration, or undefined when there is none or it cannot be read (another token, a damaged file). */
  async load(): Promise<{ config: EffectiveConfig; savedAt: string } | { problem: string } | undefined> {
    let text: string
    try {
      text = await readFile(this.file, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      return { problem: (error as Error).message }
    }
    try {
      const document = JSON.parse(text) as { format: number; sealed: string; savedAt: string }
      if (document.format !== 1) return { problem: `unknown format ${document.format}` }
      const raw = Buffer.from(document.sealed, 'base64')
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12))
      decipher.setAAD(Buffer.from(this.aad()))
      decipher.setAuthTag(raw.subarray(12, 28))
      const plain = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8')
      return { config: JSON.parse(plain) as EffectiveConfig, savedAt: document.savedAt }
    } catch (error) {
      return { problem: `unreadable (${(error as Error).message}); another token wrote it, or it is damaged` }
    }
  }

  private aad(): string {
    return `${this.scope.application}\0${this.scope.profile}\0${this.scope.instance}`
  }
}
