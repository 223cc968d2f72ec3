import { Agent } from 'undici'
import { defineError } from '../errors/define-error.js'
import { enc, platformCall } from '../http/platform-call.js'
import type { PublishedSetting } from './live-settings.js'

export const ConfigClientErrors = {
  unreachable: defineError(
    'TRELLIS_CONFIG_SERVER_UNREACHABLE',
    503,
    'the config server at %s did not answer: %s',
    {
      retryable: true,
    },
  ),
  rejected: defineError('TRELLIS_CONFIG_SERVER_REJECTED', 502, 'the config server answered %s: %s'),
} as const

/** An instance's effective configuration, as the config server computes it. */
export interface EffectiveConfig {
  application: string
  profile: string
  instance?: string
  /** The newest change among the layers that make this configuration; 0 when nothing is set. */
  version: number
  /** Central key → value (secrets in clear: only the service's own token reads them). */
  values: Record<string, unknown>
}

export interface ConfigQuery {
  application: string
  profile: string
  instance: string
  /** The version the caller runs: the server answers when the configuration differs from it (a blocking query). */
  after?: number | null
  waitMs?: number
}

const DEFAULTS = {
  // An answer that takes longer is as good as lost; the caller retries.
  requestTimeoutMs: 2_000,
  // A blocking query gets its wait plus this much before it counts as lost.
  watchMarginMs: 5_000,
}

/** The config server's HTTP API as an instance uses it. */
export class ConfigClient {
  readonly url: string
  /** Its own connections, closed with the client, so a stopping instance leaves none open behind it. */
  private readonly agent = new Agent({ connections: 4 })

  constructor(
    url: string,
    private readonly token: string,
  ) {
    this.url = url.replace(/\/$/, '')
  }

  async effective(query: ConfigQuery, signal?: AbortSignal): Promise<EffectiveConfig> {
    const params = new URLSearchParams({ profile: query.profile, instance: query.instance })
    const blocking = query.after !== undefined && query.after !== null && query.waitMs !== undefined
    if (blocking) {
      params.set('after', String(query.after))
      params.set('wait', String(query.waitMs))
    }
    const timeout = blocking ? query.waitMs! + DEFAULTS.watchMarginMs : DEFAULTS.requestTimeoutMs
    const res = await this.call(
      'GET',
      `/v1/applications/${enc(query.application)}/config?${params}`,
      undefined,
      timeout,
      signal,
    )
    if (res.status !== 200) throw ConfigClientErrors.rejected(res.status, res.text.slice(0, 300))
    return JSON.parse(res.text) as EffectiveConfig
  }

  /** Publishes the schema of the application's settings, so the server can refuse values that do not fit. */
  async publish(
    application: string,
    body: { version: string; instance: string; settings: Record<string, PublishedSetting> },
  ): Promise<void> {
    const res = await this.call('PUT', `/v1/applications/${enc(application)}/schema`, body)
    if (res.status !== 200 && res.status !== 201)
      throw ConfigClientErrors.rejected(res.status, res.text.slice(0, 300))
  }

  /** Closes every connection (aborting what is in flight). */
  async close(): Promise<void> {
    await this.agent.destroy()
  }

  private async call(
    method: 'GET' | 'PUT',
    path: string,
    body?: unknown,
    timeoutMs = DEFAULTS.requestTimeoutMs,
    signal?: AbortSignal,
  ): Promise<{ status: number; text: string }> {
    return platformCall(
      this.url + path,
      {
        method,
        body,
        headers: { authorization: `Bearer ${this.token}` },
        timeoutMs,
        signal,
        dispatcher: this.agent,
      },
      (reason) => ConfigClientErrors.unreachable(this.url, reason),
    )
  }
}
