import type { Logger } from '../log/logger.js'
import { ConfigCache } from './config-cache.js'
import { ConfigClient, type EffectiveConfig } from './config-client.js'
import type { ConfigSource, LiveSettings, RejectedValue } from './live-settings.js'

export interface CentralConfigOptions {
  url: string
  token: string
  application: string
  profile: string
  instance: string
  /** The application's version, published with its settings' schema. */
  version: string
  /** Folder for the last good configuration; none when empty. */
  cacheDir: string
  /** How long `boot` waits for the config server before falling back. */
  bootWaitMs: number
  settings: LiveSettings
  log: Logger
  /** How long the server may hold a watch open. */
  watchWaitMs?: number
}

/** What `/health` says about the configuration an instance runs. */
export interface ConfigStatus {
  version: number | null
  source: ConfigSource
  /** The watch on the config server works right now. */
  connected: boolean
  profile: string
  server: string
  /** When the running configuration was last applied. */
  appliedAt?: string
  lastError?: string
  /** Settings changed centrally that take effect at the next start. */
  pendingRestart?: string[]
  /** Central values this instance refused (they do not fit its schema). */
  rejected?: RejectedValue[]
}

const DEFAULTS = {
  // The server answers a watch at once on a change; with nothing to say it holds it this long.
  watchWaitMs: 30_000,
  retryMinMs: 100,
  // Capped so that the instance notices a returning server within about two seconds.
  retryMaxMs: 2_000,
  bootRetryMaxMs: 500,
}

/**
 * An instance's link to the config server: at start it fetches its
 * effective configuration (waiting a bounded time for the server, then
 * falling back to the last good configuration on disk, then to the
 * environment); then it watches with blocking queries and applies every
 * change to the live settings, saving each one as the new last good
 * configuration. The server being down never stops the instance: it keeps
 * what it runs, says so in its status, and catches up when the server returns.
 */
export class CentralConfig {
  private readonly client: ConfigClient
  private readonly cache: ConfigCache | undefined
  private connected = false
  private lastError: string | undefined
  private appliedAt: string | undefined
  private running = false
  private loop: Promise<void> | undefined
  private abort: AbortController | undefined
  private wakeSleep: (() => void) | undefined
  private publishedProblem: string | undefined
  /** Saves run one after the other, so the file always holds the newest configuration. */
  private saving: Promise<void> = Promise.resolve()
  /** Called when the version or source changes (the registry metadata should follow). */
  onStatusChange: () => void = () => undefined

  constructor(private readonly options: CentralConfigOptions) {
    this.client = new ConfigClient(options.url, options.token)
    this.cache = options.cacheDir
      ? new ConfigCache(
          options.cacheDir,
          { application: options.application, profile: options.profile, instance: options.instance },
          options.token,
        )
      : undefined
  }

  /** Loads the configuration to start with; never throws for an unreachable server. */
  async boot(): Promise<void> {
    const { log, bootWaitMs } = this.options
    const deadline = Date.now() + bootWaitMs
    let delay = DEFAULTS.retryMinMs
    for (;;) {
      try {
        const config = await this.client.effective(this.query())
        this.connected = true
        this.apply(config, true)
        return
      } catch (error) {
        this.lastError = (error as Error).message
        // A refusal (bad token, bad request) will not change by waiting.
        const refused = (error as { code?: string }).code === 'TRELLIS_CONFIG_SERVER_REJECTED'
        if (refused || Date.now() + delay > deadline) break
        await sleep(delay)
        delay = Math.min(delay * 2, DEFAULTS.bootRetryMaxMs)
      }
    }
    const cached = await this.cache?.load()
    if (cached && 'config' in cached) {
      this.options.settings.apply(cached.config.values, {
        version: cached.config.version,
        source: 'last-good',
        boot: true,
      })
      this.appliedAt = new Date().toISOString()
      log.warn(
        { version: cached.config.version, savedAt: cached.savedAt, reason: this.lastError },
        'config server unreachable; starting from the last good configuration',
      )
      return
    }
    log.warn(
      {
        reason: this.lastError,
        ...(cached && 'problem' in cached ? { lastGood: cached.problem } : {}),
        ...(this.cache ? {} : { lastGood: 'no TRELLIS_CONFIG_CACHE_DIR' }),
      },
      'config server unreachable and no last good configuration; starting from the environment',
    )
  }

  /** Starts watching (and publishes the settings' schema). */
  start(): void {
    if (this.running) return
    this.running = true
    this.loop = this.watch()
  }

  async stop(): Promise<void> {
    this.running = false
    this.abort?.abort()
    this.wakeSleep?.()
    await this.loop
    await this.client.close()
    await this.saving
  }

  status(): ConfigStatus {
    const { settings } = this.options
    return {
      version: settings.version,
      source: settings.source,
      connected: this.connected,
      profile: this.options.profile,
      server: this.options.url,
      ...(this.appliedAt ? { appliedAt: this.appliedAt } : {}),
      ...(this.lastError && !this.connected ? { lastError: this.lastError } : {}),
      ...(settings.pendingRestart.length ? { pendingRestart: settings.pendingRestart } : {}),
      ...(settings.rejected.length ? { rejected: settings.rejected } : {}),
    }
  }

  /** For the registry: enough to see which instances lag. */
  metadata(): { version: number | null; source: ConfigSource } {
    return { version: this.options.settings.version, source: this.options.settings.source }
  }

  private async watch(): Promise<void> {
    const { log, settings } = this.options
    let retryMs = DEFAULTS.retryMinMs
    let publish = true
    while (this.running) {
      this.abort = new AbortController()
      if (publish) publish = !(await this.publish())
      try {
        // After an outage (or a start from the last good configuration) ask without waiting.
        const blocking = this.connected && settings.source === 'config-server'
        const config = await this.client.effective(
          {
            ...this.query(),
            ...(blocking
              ? { after: settings.version, waitMs: this.options.watchWaitMs ?? DEFAULTS.watchWaitMs }
              : {}),
          },
          this.abort.signal,
        )
        if (!this.connected) log.info({ version: config.version }, 'config server reachable again')
        this.connected = true
        this.lastError = undefined
        retryMs = DEFAULTS.retryMinMs
        if (config.version !== settings.version || settings.source !== 'config-server')
          this.apply(config, false)
      } catch (error) {
        if (!this.running) return
        if (this.connected || this.lastError === undefined)
          log.warn(
            { reason: (error as Error).message },
            'config server watch failed; keeping the running configuration',
          )
        this.connected = false
        this.lastError = (error as Error).message
        // The server may have lost what it knew (a fresh database): publish again once it is back.
        publish = true
        await this.pause(retryMs)
        retryMs = Math.min(retryMs * 2, DEFAULTS.retryMaxMs)
      }
    }
  }

  private async publish(): Promise<boolean> {
    const { application, version, instance, settings, log } = this.options
    try {
      await this.client.publish(application, { version, instance, settings: settings.describe() })
      this.publishedProblem = undefined
      log.debug('settings schema published to the config server')
      return true
    } catch (error) {
      const problem = (error as Error).message
      if (problem !== this.publishedProblem)
        log.warn({ reason: problem }, 'publishing the settings schema failed; retrying')
      this.publishedProblem = problem
      return false
    }
  }

  private apply(config: EffectiveConfig, boot: boolean): void {
    const { settings, log } = this.options
    const before = { version: settings.version, source: settings.source }
    const result = settings.apply(config.values, { version: config.version, source: 'config-server', boot })
    this.appliedAt = new Date().toISOString()
    const changed = Object.fromEntries(result.changed.map((key) => [key, config.values[key] ?? '(default)']))
    log.info(
      { version: config.version, changed: settings.redact(changed), ...(boot ? { boot } : {}) },
      boot ? 'configuration loaded from the config server' : 'configuration applied',
    )
    if (result.rejected.length)
      log.warn(
        { version: config.version, rejected: result.rejected },
        'refused configuration values that do not fit this instance',
      )
    if (result.pendingRestart.length)
      log.info({ keys: result.pendingRestart }, 'some changed settings take effect at the next start')
    const cache = this.cache
    if (cache)
      this.saving = this.saving
        .then(() => cache.save(config))
        .catch((error) =>
          log.warn({ reason: (error as Error).message }, 'could not save the last good configuration'),
        )
    if (before.version !== settings.version || before.source !== settings.source) this.onStatusChange()
  }

  private query() {
    const { application, profile, instance } = this.options
    return { application, profile, instance }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms)
      function done() {
        clearTimeout(timer)
        resolve()
      }
      this.wakeSleep = done
    })
  }
}

/** The profile an instance reads when none is set: development runs `local`, production `prod`. */
export function profileFor(env: 'development' | 'test' | 'production'): string {
  return env === 'development' ? 'local' : env === 'production' ? 'prod' : 'test'
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
