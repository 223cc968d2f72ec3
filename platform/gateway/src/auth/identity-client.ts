import type { ServiceDirectory } from '@trellis/kit/platform'
import { request } from 'undici'
import { GatewayErrors } from '../errors.js'

const DEFAULTS = {
  // The gateway waits this long for identity before answering 503: a stalled identity must not stall every request.
  timeoutMs: 2_000,
}

/**
 * The gateway's calls to the identity service (JWKS, API key checks), to an
 * instance found through the registry like any other service, straight to
 * its port: `/api-keys/verify` is internal, so it is never reachable through
 * the gateway itself.
 */
export class IdentityClient {
  private next = 0

  constructor(
    private readonly directory: ServiceDirectory,
    private readonly service: string,
    private readonly timeoutMs = DEFAULTS.timeoutMs,
  ) {}

  async call(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: unknown }> {
    const instances = this.directory.instances(this.service)
    if (instances.length === 0)
      throw GatewayErrors.authUnavailable(`no instance of ${this.service} is registered`)
    const instance = instances[this.next++ % instances.length]!
    try {
      const res = await request(`${instance.url}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      })
      const text = await res.body.text()
      return { status: res.statusCode, body: text ? JSON.parse(text) : undefined }
    } catch (error) {
      throw GatewayErrors.authUnavailable(`${this.service} did not answer (${(error as Error).message})`)
    }
  }
}
