import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmod, chown, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { userInfo } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { portInUse } from '../ports.js'
import { alive } from '../process/alive.js'
import { postgresBinaries } from './binaries.js'

const exec = promisify(execFile)

/** The major version of the binaries we ship; a data folder of another major cannot be opened. */
export const POSTGRES_MAJOR = '18'

export interface EmbeddedPostgresOptions {
  dataDir: string
  port: number
  superuser: string
  password: string
  /** Each line Postgres logs. */
  onLog?: (line: string) => void
}

const DEFAULTS = {
  // Every replica of every service holds a small pool; 200 leaves room for a dozen services at 3 replicas.
  maxConnections: 200,
  startTimeoutMs: 30_000,
  stopTimeoutMs: 15_000,
}

export class PostgresError extends Error {
  override name = 'PostgresError'
}

/**
 * One PostgreSQL server for the local system, its data under `.trellis/pg`,
 * listening on 127.0.0.1 only, password (SCRAM) authentication for every
 * role, so that each service's role is held to its own database.
 */
export class EmbeddedPostgres {
  private process: ChildProcess | undefined
  private readonly recent: string[] = []

  constructor(private readonly options: EmbeddedPostgresOptions) {}

  get url(): string {
    return this.urlFor(this.options.superuser, this.options.password, 'postgres')
  }

  urlFor(user: string, password: string, database: string): string {
    return `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${this.options.port}/${encodeURIComponent(database)}`
  }

  /** Creates the cluster on first use; checks that an existing one is ours to open. */
  async initialise(): Promise<'created' | 'existing'> {
    const { dataDir } = this.options
    const version = await readFile(join(dataDir, 'PG_VERSION'), 'utf8').catch(() => undefined)
    if (version !== undefined) {
      if (version.trim() !== POSTGRES_MAJOR) {
        throw new PostgresError(
          `${dataDir} holds a PostgreSQL ${version.trim()} cluster, but Trellis ships PostgreSQL ${POSTGRES_MAJOR}. Move that folder away (or delete it to start with fresh data).`,
        )
      }
      await this.ensureOwnership()
      return 'existing'
    }
    const { initdb } = await postgresBinaries()
    try {
      await mkdir(dataDir, { recursive: true, mode: 0o700 })
    } catch (error) {
      throw new PostgresError(`cannot create the data folder ${dataDir}: ${(error as Error).message}`)
    }
    const ids = await this.ensureOwnership()
    const pwfile = join(dataDir, '..', `.pg-init-${randomBytes(4).toString('hex')}`)
    await writeFile(pwfile, `${this.options.password}\n`, { mode: 0o600 })
    if (ids) await chown(pwfile, ids.uid, ids.gid)
    try {
      await exec(
        initdb,
        [
          `--pgdata=${dataDir}`,
          '--auth=scram-sha-256',
          `--username=${this.options.superuser}`,
          `--pwfile=${pwfile}`,
          '--encoding=UTF8',
          '--locale=C',
        ],
        { ...(ids ?? {}), env: { ...process.env, LC_ALL: 'C' } },
      )
    } catch (error) {
      const detail = (error as { stderr?: string }).stderr?.trim() || (error as Error).message
      throw new PostgresError(`initdb failed for ${dataDir}: ${detail}`)
    } finally {
      await rm(pwfile, { force: true })
    }
    return 'created'
  }

  async start(): Promise<void> {
    const { dataDir, port } = this.options
    await this.stopOrphan()
    if (await portInUse(port)) {
      throw new PostgresError(
        `port ${port} (embedded Postgres) is already in use; stop the other process or set TRELLIS_POSTGRES_PORT`,
      )
    }
    const { postgres } = await postgresBinaries()
    const ids = await this.ensureOwnership()
    const child = spawn(
      postgres,
      [
        '-D',
        dataDir,
        '-p',
        String(port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=',
        '-c',
        `max_connections=${DEFAULTS.maxConnections}`,
        '-c',
        'log_min_messages=warning',
        '-c',
        'log_line_prefix=',
      ],
      // Its own process group: a Ctrl-C in the terminal reaches the control
      // loop only, which stops Postgres last, after the services drained.
      {
        ...(ids ?? {}),
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, LC_ALL: 'C' },
      },
    )
    this.process = child
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => fail(`did not become ready within ${DEFAULTS.startTimeoutMs} ms`),
        DEFAULTS.startTimeoutMs,
      )
      const fail = (why: string) => {
        clearTimeout(timer)
        child.kill('SIGKILL')
        reject(
          new PostgresError(
            `PostgreSQL ${why}. Its last words:\n  ${this.recent.slice(-8).join('\n  ') || '(nothing)'}`,
          ),
        )
      }
      let buffer = ''
      const onData = (chunk: Buffer) => {
        buffer += chunk.toString('utf8')
        let newline = buffer.indexOf('\n')
        while (newline !== -1) {
          const line = buffer.slice(0, newline).trimEnd()
          buffer = buffer.slice(newline + 1)
          newline = buffer.indexOf('\n')
          if (!line) continue
          this.recent.push(line)
          if (this.recent.length > 50) this.recent.shift()
          this.options.onLog?.(line)
          if (line.includes('database system is ready to accept connections')) {
            clearTimeout(timer)
            resolve()
          }
        }
      }
      child.stderr?.on('data', onData)
      child.stdout?.on('data', onData)
      child.once('exit', (code, signal) => fail(`exited during start (code ${code}, signal ${signal})`))
    })
    child.removeAllListeners('exit')
    child.once('exit', (code, signal) => {
      if (this.process === child) this.options.onLog?.(`postgres exited (code ${code}, signal ${signal})`)
      this.process = undefined
    })
  }

  get running(): boolean {
    return this.process !== undefined && this.process.exitCode === null
  }

  get pid(): number | undefined {
    return this.process?.pid
  }

  /** Fast shutdown (SIGINT: roll back open transactions, checkpoint, exit); SIGKILL if it hangs. */
  async stop(): Promise<void> {
    const child = this.process
    if (!child || child.exitCode !== null) return
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    child.kill('SIGINT')
    const timer = setTimeout(() => child.kill('SIGKILL'), DEFAULTS.stopTimeoutMs)
    await exited
    clearTimeout(timer)
    this.process = undefined
  }

  /**
   * A control loop killed with SIGKILL leaves its Postgres running (it has no
   * parent to watch). Stop that orphan before starting again.
   */
  private async stopOrphan(): Promise<void> {
    const pidFile = join(this.options.dataDir, 'postmaster.pid')
    const text = await readFile(pidFile, 'utf8').catch(() => undefined)
    const pid = Number(text?.split('\n')[0])
    if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')
    if (cmdline && !cmdline.includes('postgres')) return
    this.options.onLog?.(`stopping a Postgres left running by an earlier control loop (pid ${pid})`)
    process.kill(pid, 'SIGINT')
    const deadline = Date.now() + DEFAULTS.stopTimeoutMs
    while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
    if (alive(pid)) process.kill(pid, 'SIGKILL')
  }

  /**
   * Postgres refuses to run as root. As root we run it as the `postgres`
   * system user (created when missing) and give it the data folder.
   */
  private async ensureOwnership(): Promise<{ uid: number; gid: number } | undefined> {
    if (userInfo().uid !== 0) return undefined
    const ids = await postgresUser()
    const { dataDir } = this.options
    await chown(dataDir, ids.uid, ids.gid).catch(() => undefined)
    await chmod(dataDir, 0o700).catch(() => undefined)
    // The folder above must be traversable by that user.
    await chmod(join(dataDir, '..'), 0o755).catch(() => undefined)
    return ids
  }
}

async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const lookup = async () => {
    const [uid, gid] = await Promise.all([exec('id', ['-u', 'postgres']), exec('id', ['-g', 'postgres'])])
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) }
  }
  try {
    return await lookup()
  } catch {
    try {
      await exec('useradd', [
        '--system',
        '--user-group',
        '--no-create-home',
        '--shell',
        '/usr/sbin/nologin',
        'postgres',
      ])
    } catch (error) {
      throw new PostgresError(
        `running as root, Postgres needs a 'postgres' user, and creating it failed: ${(error as Error).message}`,
      )
    }
    return lookup()
  }
}
