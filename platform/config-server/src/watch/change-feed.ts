const DEFAULTS = {
  // Another replica of the config server (sharing the database) may have
  // written: while anyone waits, look at the newest version this often.
  pollMs: 1_000,
}

/**
 * Wakes blocking queries when the configuration changes: at once for a
 * change written by this process, within `pollMs` for one written by another
 * replica. Waiters re-check their own version and wait again if the change
 * was not theirs.
 */
export class ChangeFeed {
  private waiters = new Set<() => void>()
  private known: number | undefined
  private poller: NodeJS.Timeout | undefined
  private polling = false

  constructor(
    private readonly latest: () => Promise<number>,
    private readonly pollMs = DEFAULTS.pollMs,
  ) {}

  /** A change was written. */
  notify(version?: number): void {
    if (version !== undefined) this.known = Math.max(this.known ?? 0, version)
    const waiters = [...this.waiters]
    this.waiters.clear()
    for (const wake of waiters) wake()
  }

  /** Resolves at the next change, after `ms`, or when `signal` aborts, whichever is first. */
  next(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        this.waiters.delete(done)
        signal.removeEventListener('abort', done)
        if (this.waiters.size === 0) this.stopPolling()
        resolve()
      }
      const timer = setTimeout(done, ms)
      if (signal.aborted) return done()
      signal.addEventListener('abort', done, { once: true })
      this.waiters.add(done)
      this.startPolling()
    })
  }

  /** Wakes every waiter (the server is stopping). */
  close(): void {
    this.stopPolling()
    this.notify()
  }

  private startPolling(): void {
    if (this.poller) return
    this.poller = setInterval(() => void this.poll(), this.pollMs)
    this.poller.unref()
  }

  private stopPolling(): void {
    clearInterval(this.poller)
    this.poller = undefined
  }

  private async poll(): Promise<void> {
    if (this.polling) return
    this.polling = true
    try {
      const version = await this.latest()
      if (this.known !== undefined && version !== this.known) {
        this.known = version
        this.notify()
      }
      this.known = version
    } catch {
      // The database is briefly unreachable: the next poll tries again.
    } finally {
      this.polling = false
    }
  }
}
