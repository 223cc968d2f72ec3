import { BlockList, isIP } from 'node:net'
import type { Registry } from 'prom-client'
import type { GatewayFilter } from './filter.js'

/** Loopback: the console and a Prometheus on the same host. */
export const DEFAULT_METRICS_READERS = ['127.0.0.0/8', '::1/128']

/**
 * The addresses allowed to read the gateway's metrics, from CIDRs (`10.0.0.0/8`,
 * `::1/128`) or single addresses. A malformed entry fails the start.
 */
export function metricsReaders(entries: string[]): BlockList {
  const list = new BlockList()
  for (const entry of entries) {
    const [address = '', bits] = entry.trim().split('/')
    const family = isIP(address)
    const prefix = bits === undefined ? (family === 6 ? 128 : 32) : Number(bits)
    if (family === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 6 ? 128 : 32))
      throw new Error(
        `TRELLIS_GATEWAY_METRICS_ALLOW: ${JSON.stringify(entry)} is not an address or a CIDR (10.0.0.0/8, ::1/128)`,
      )
    list.addSubnet(address, prefix, family === 6 ? 'ipv6' : 'ipv4')
  }
  return list
}

/**
 * PRE: GET /metrics, the gateway's Prometheus series (requests by route
 * prefix and status, upstream breakers and calls, the process), for the
 * addresses allowed (loopback by default: the console and a local
 * Prometheus). Anyone else gets the 404 of any unknown path, since the
 * public port must not show the fleet's traffic.
 */
export function metrics(registry: Registry, readers: BlockList): GatewayFilter {
  return {
    name: 'metrics',
    stage: 'pre',
    // Synchronous for every other request: the chain awaits only what returns a promise.
    run(context) {
      if (context.path !== '/metrics' || context.req.method !== 'GET') return
      if (!allowed(readers, context.req.socket.remoteAddress)) return
      return registry.metrics().then((body) => {
        context.writeHead({
          status: 200,
          headers: {
            'content-type': registry.contentType,
            'content-length': String(Buffer.byteLength(body)),
          },
        })
        context.res.end(body)
        context.handled = true
      })
    },
  }
}

function allowed(readers: BlockList, address: string | undefined): boolean {
  if (!address) return false
  // A dual-stack listener sees IPv4 clients as ::ffff:a.b.c.d.
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address
  return isIP(v4) === 4 ? readers.check(v4, 'ipv4') : readers.check(address, 'ipv6')
}
