import { type ChildProcess, spawn } from 'node:child_process'

export interface LaunchSpec {
  key: string
  entry: string
  env: Record<string, string>
  cwd: string
}

export interface ExitInfo {
  code: number | null
  signal: NodeJS.Signals | null
  at: number
}

export type LogStream = 'stdout' | 'stderr'

/**
 * One running instance: a Node process with piped stdout/stderr (its logs,
 * read line by line like a cluster's log agent would) and an IPC channel,
 * over which it reports its port. The channel is also its lifeline: when
 * the control loop dies, the child sees `disconnect` and shuts itself down.
 */
export class ManagedProcess {
  readonly startedAt = Date.now()
  port: number | undefined
  exit: ExitInfo | undefined
  private readonly child: ChildProcess
  private readonly exited: Promise<ExitInfo>

  constructor(
    readonly spec: LaunchSpec,
    onLine: (key: string, stream: LogStream, line: string) => void,
    onExit: (key: string, exit: ExitInfo) => void,
    onListening?: (key: string, port: number) => void,
  ) {
    this.child = spawn(process.execPath, [spec.entry], {
      cwd: spec.cwd,
      env: spec.env,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      // Own process group: a terminal Ctrl-C reaches the control loop only,
      // which then stops everything in order.
      detached: true,
    })
    this.child.on('message', (message: unknown) => {
      const m = message as { type?: string; port?: number }
      if (m?.type === 'trellis:listening' && typeof m.port === 'number') {
        this.port = m.port
        onListening?.(spec.key, m.port)
      }
    })
    readLines(this.child.stdout, (line) => onLine(spec.key, 'stdout', line))
    readLines(this.child.stderr, (line) => onLine(spec.key, 'stderr', line))
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exit = { code, signal, at: Date.now() }
        onExit(spec.key, this.exit)
        resolve(this.exit)
      })
      this.child.once('error', (error) => {
        onLine(spec.key, 'stderr', `failed to start: ${error.message}`)
      })
    })
  }

  get pid(): number | undefined {
    return this.child.pid
  }

  get running(): boolean {
    return this.exit === undefined
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  async stop(graceMs: number): Promise<ExitInfo> {
    if (this.exit) return this.exit
    this.signal('SIGTERM')
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs)
    const exit = await this.exited
    clearTimeout(timer)
    return exit
  }

  kill(): void {
    this.signal('SIGKILL')
  }

  whenExited(): Promise<ExitInfo> {
    return this.exited
  }

  private signal(signal: NodeJS.Signals): void {
    if (this.exit) return
    try {
      this.child.kill(signal)
    } catch {
      // already gone
    }
  }
}

function readLines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  if (!stream) return
  let buffer = ''
  stream.setEncoding('utf8')
  stream.on('data', (chunk: string) => {
    buffer += chunk
    let newline = buffer.indexOf('\n')
    while (newline !== -1) {
      const line = buffer.slice(0, newline)
      buffer = buffer.slice(newline + 1)
      if (line.length > 0) onLine(line)
      newline = buffer.indexOf('\n')
    }
    // A pathological line without newlines must not grow without bound.
    if (buffer.length > 1_000_000) {
      onLine(buffer)
      buffer = ''
    }
  })
  stream.on('end', () => {
    if (buffer.length > 0) onLine(buffer)
  })
}
