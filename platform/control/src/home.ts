import { access, constants, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { alive } from './process/alive.js'

/**
 * `.trellis/`: the local system's data (Postgres cluster, credentials) and
 * the lock that keeps two control loops from running the same system.
 */
export class Home {
  constructor(readonly dir: string) {}

  get postgresDir(): string {
    return join(this.dir, 'pg')
  }

  get credentialsFile(): string {
    return join(this.dir, 'credentials.json')
  }

  /** Each instance's last good configuration, read when the config server is unreachable at its start. */
  get configCacheDir(): string {
    return join(this.dir, 'config-cache')
  }

  private get lockFile(): string {
    return join(this.dir, 'control.json')
  }

  /** Creates the folder and checks it is writable, with a message that says what to do when not. */
  async prepare(): Promise<void> {
    try {
      await makeDirectory(this.dir)
      await access(this.dir, constants.W_OK | constants.R_OK | constants.X_OK)
    } catch (error) {
      throw new Error(
        `the data folder ${this.dir} is unusable (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); make it writable or set TRELLIS_HOME to another folder`,
      )
    }
  }

  /** Takes the lock, or says which control loop holds it. A lock left by a dead process is taken over. */
  async lock(info: { controlPort: number }): Promise<void> {
    const existing = await readFile(this.lockFile, 'utf8').then(
      (t) => JSON.parse(t) as { pid: number; controlPort: number },
      () => undefined,
    )
    if (existing && existing.pid !== process.pid && alive(existing.pid)) {
      throw new Error(
        `Trellis is already running from ${this.dir} (pid ${existing.pid}, control API on port ${existing.controlPort}). Stop it first (Ctrl-C in its terminal, or \`npm run trellis -- down\`).`,
      )
    }
    await writeFile(
      this.lockFile,
      JSON.stringify({
        pid: process.pid,
        controlPort: info.controlPort,
        startedAt: new Date().toISOString(),
      }),
    )
  }

  async unlock(): Promise<void> {
    await rm(this.lockFile, { force: true })
  }

  async lockInfo(): Promise<{ pid: number; controlPort: number } | undefined> {
    return readFile(this.lockFile, 'utf8').then(
      (t) => JSON.parse(t) as { pid: number; controlPort: number },
      () => undefined,
    )
  }
}

/**
 * `mkdir -p`, one component at a time. Node's recursive mkdir never returns
 * on some special file systems (under /proc it retries forever); this fails
 * with the first component that cannot be made.
 */
async function makeDirectory(dir: string): Promise<void> {
  const exists = await stat(dir).then(
    (s) => {
      if (!s.isDirectory()) throw Object.assign(new Error(`${dir} is not a folder`), { code: 'ENOTDIR' })
      return true
    },
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return false
      throw error
    },
  )
  if (exists) return
  const parent = dirname(dir)
  if (parent !== dir) await makeDirectory(parent)
  await mkdir(dir)
}
