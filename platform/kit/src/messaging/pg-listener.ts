import pg from 'pg'
import type { Logger } from '../log/logger.js'

const DEFAULTS = {
  // Reconnect quickly after a blip, but do not hammer a server that is down.
  retryMinMs: 100,
  retryMaxMs: 5_000,
}

/**
 * A dedicated connection that LISTENs on one channel and reconnects when it
 * is lost. Notifications only make things fast: every user also polls
 * slowly, so a notification lost while reconnecting delays, never loses.
 */
export class PgListener {
  private client: pg.Client | undefined
  private stopped = false
  private delay = DEFAULTS.retryMinMs
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly url: string,
    private readonly channel: string,
    private readonly onNotify: (payload: string) => void,
    private readonly log: Logger,
    private readonly onReconnect: () => void = () => undefined,
  ) {}

  start(): void {
    void this.connect()
  }

  private async connect(): Promise<void> {
    if (this.stopped) return
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 3_000 })
    client.on('error', () => undefined)
    client.on('notification', (message) => {
      if (message.channel === this.channel) this.onNotify(message.payload ?? '')
    })
    client.on('end', () => {
      if (this.client === client) this.client = undefined
      this.schedule()
    })
    try {
      await client.connect()
      await client.query(`LISTEN ${this.channel}`)
      if (this.stopped) {
        await client.end().catch(() => undefined)
        return
      }
      this.client = client
      this.delay = DEFAULTS.retryMinMs
      this.onReconnect()
    } catch (error) {
      this.log.debug({ err: error, channel: this.channel }, 'listen connection failed; retrying')
      await client.end().catch(() => undefined)
    }
  }

  private schedule(): void {
    if (this.stopped || this.timer) return
    this.timer = setTimeout(() => {
      this.timer = undefined
      void this.connect()
    }, this.delay)
    this.timer.unref()
    this.delay = Math.min(this.delay * 2, DEFAULTS.retryMaxMs)
  }

  async stop(): Promise<void> {
    this.stopped = true
    if (this.timer) clearTimeout(this.timer)
    await this.client?.end().catch(() => undefined)
  }
}
