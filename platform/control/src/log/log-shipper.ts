import { request } from 'undici'
import type { LogStream } from '../process/managed-process.js'

interface Line {
  instance: string
  service: string
  stream: LogStream
  line: string
  at: number
}

const DEFAULTS = {
  intervalMs: 250,
  // While the console is down (starting, restarting) lines wait here; beyond this, the oldest go.
  maxBuffered: 20_000,
  maxBatch: 5_000,
  timeoutMs: 3_000,
}

/**
 * Ships every instance's stdout and stderr lines to the console's log store
 * in batches, the way a cluster's log agent ships container logs. Printing
 * them in the terminal is the LogPrinter's business; this one never blocks
 * or fails the control loop: a console that is not there yet only delays the
 * lines, and a long outage drops the oldest.
 */
export class LogShipper {
  private buffer: Line[] = []
  private timer: NodeJS.Timeout | undefined
  private sending: Promise<void> | undefined
  dropped = 0

  constructor(private readonly consoleUrl: string) {}

  push(key: string, stream: LogStream, line: string): void {
    this.buffer.push({ instance: key, service: serviceOf(key), stream, line, at: Date.now() })
    if (this.buffer.length > DEFAULTS.maxBuffered) {
      const excess = this.buffer.length - DEFAULTS.maxBuffered
      this.buffer.splice(0, excess)
      this.dropped += excess
    }
  }

  start(): void {
    const loop = () => {
      this.sending = this.flush().finally(() => {
        if (this.timer !== undefined) this.timer = setTimeout(loop, DEFAULTS.intervalMs)
      })
    }
    this.timer = setTimeout(loop, DEFAULTS.intervalMs)
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer)
    this.timer = undefined
    await this.sending
    await this.flush()
  }

  private async flush(): Promise<void> {
    if (this.buffer.length === 0) return
    const batch = this.buffer.slice(0, DEFAULTS.maxBatch)
    try {
      const res = await request(`${this.consoleUrl}/v1/logs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ lines: batch }),
        headersTimeout: DEFAULTS.timeoutMs,
        bodyTimeout: DEFAULTS.timeoutMs,
      })
      await res.body.dump()
      if (res.statusCode < 300) this.buffer.splice(0, batch.length)
      else if (res.statusCode < 500) {
        // Refused as malformed: sending it again would not help.
        this.buffer.splice(0, batch.length)
        this.dropped += batch.length
      }
    } catch {
      // The console is not up (yet): the lines wait for the next round.
    }
  }
}

/** `catalog-2` → `catalog`. */
export function serviceOf(key: string): string {
  return key.replace(/-\d+$/, '')
}
