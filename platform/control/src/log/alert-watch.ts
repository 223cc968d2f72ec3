import { request } from 'undici'
import type { LogPrinter } from './log-printer.js'

interface AlertEvent {
  seq: number
  rule: string
  state: 'firing' | 'resolved'
  labels: Record<string, string>
  value: string
}

const DEFAULTS = { intervalMs: 2_000, timeoutMs: 2_000 }

/** Prints the console's alert changes (firing, resolved) among the control loop's own messages. */
export class AlertWatch {
  private after = 0
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly consoleUrl: string,
    private readonly printer: LogPrinter,
  ) {}

  start(): void {
    const loop = () => {
      void this.poll().finally(() => {
        if (this.timer !== undefined) this.timer = setTimeout(loop, DEFAULTS.intervalMs)
      })
    }
    this.timer = setTimeout(loop, DEFAULTS.intervalMs)
  }

  stop(): void {
    clearTimeout(this.timer)
    this.timer = undefined
  }

  private async poll(): Promise<void> {
    try {
      const res = await request(`${this.consoleUrl}/api/alerts?after=${this.after}`, {
        headersTimeout: DEFAULTS.timeoutMs,
        bodyTimeout: DEFAULTS.timeoutMs,
      })
      const body = (await res.body.json()) as { events?: AlertEvent[]; head?: number }
      if (res.statusCode !== 200) return
      // A console that restarted numbers its changes from 1 again: read them all next time.
      if ((body.head ?? 0) < this.after) this.after = 0
      const events = body.events ?? []
      for (const event of events) {
        if (event.seq <= this.after) continue
        this.after = event.seq
        const labels = Object.entries(event.labels)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')
        this.printer.system(
          `alert ${event.state}: ${event.rule} ${labels} (${event.value})`,
          event.state === 'firing' ? 'warn' : 'info',
        )
      }
    } catch {
      // The console is not up: nothing to print.
    }
  }
}
