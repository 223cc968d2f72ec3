import { defineError } from '../errors/define-error.js'
import { enc, platformCall } from '../http/platform-call.js'
import type { CatalogSnapshot, Lease, Registration } from './instance.js'

export const RegistryErrors = {
  unreachable: defineError('TRELLIS_REGISTRY_UNREACHABLE', 503, 'the registry at %s did not answer: %s', {
    retryable: true,
  }),
  rejected: defineError('TRELLIS_REGISTRY_REJECTED', 502, 'the registry answered %s: %s'),
} as const

const DEFAULTS = {
  // A heartbeat or registration that takes longer than this is as good as lost;
  // the lease (3 s) leaves room for two more attempts.
  requestTimeoutMs: 1_000,
}

/** The registry's HTTP API, one method a call. */
export class RegistryClient {
  readonly url: string

  constructor(url: string) {
    this.url = url.replace(/\/$/, '')
  }

  async register(registration: Registration): Promise<Lease> {
    const { service, id, ...body } = registration
    const res = await this.call('PUT', `/v1/services/${enc(service)}/instances/${enc(id)}`, body)
    if (res.status !== 200 && res.status !== 201) throw RegistryErrors.rejected(res.status, res.text)
    return (JSON.parse(res.text) as { lease: Lease }).lease
  }

  /** The current lease, or 'unknown' when the registry no longer knows the instance (it restarted). */
  async heartbeat(service: string, id: string): Promise<Lease | 'unknown'> {
    const res = await this.call('PUT', `/v1/services/${enc(service)}/instances/${enc(id)}/heartbeat`)
    if (res.status === 404) return 'unknown'
    if (res.status !== 200) throw RegistryErrors.rejected(res.status, res.text)
    return (JSON.parse(res.text) as { lease: Lease }).lease
  }

  async deregister(service: string, id: string): Promise<void> {
    const res = await this.call('DELETE', `/v1/services/${enc(service)}/instances/${enc(id)}`)
    if (res.status !== 204 && res.status !== 404) throw RegistryErrors.rejected(res.status, res.text)
  }

  /**
   * The whole catalogue. With `after`, a blocking query: the registry answers
   * when its state differs from `after` (its index moved, or it is another
   * run of the registry) or after `waitMs`, whichever is first.
   */
  async catalog(
    after?: { epoch: string; index: number },
    waitMs = 30_000,
    signal?: AbortSignal,
  ): Promise<CatalogSnapshot> {
    const query =
      after === undefined
        ? ''
        : `?epoch=${encodeURIComponent(after.epoch)}&index=${after.index}&wait=${waitMs}`
    const res = await this.call('GET', `/v1/services${query}`, undefined, waitMs + 5_000, signal)
    if (res.status !== 200) throw RegistryErrors.rejected(res.status, res.text)
    return JSON.parse(res.text) as CatalogSnapshot
  }

  private async call(
    method: 'GET' | 'PUT' | 'DELETE',
    path: string,
    body?: unknown,
    timeoutMs = DEFAULTS.requestTimeoutMs,
    signal?: AbortSignal,
  ): Promise<{ status: number; text: string }> {
    return platformCall(this.url + path, { method, body, timeoutMs, signal }, (reason) =>
      RegistryErrors.unreachable(this.url, reason),
    )
  }
}
