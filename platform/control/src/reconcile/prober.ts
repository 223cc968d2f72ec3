import { request } from 'undici'

export interface ProbeResult {
  live: boolean
  ready: boolean
}

/** Liveness and readiness of one instance over HTTP, each bounded by `timeoutMs`. */
export async function probe(port: number, timeoutMs = 1_000): Promise<ProbeResult> {
  const [live, ready] = await Promise.all([
    probeEndpoint(port, '/health/live', timeoutMs),
    probeEndpoint(port, '/health/ready', timeoutMs),
  ])
  return { live, ready }
}

/** One probe: true when the endpoint answers 200 in time. The status is all the control loop reads. */
export async function probeEndpoint(port: number, path: string, timeoutMs = 1_000): Promise<boolean> {
  try {
    const res = await request(`http://127.0.0.1:${port}${path}`, {
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    })
    await res.body.dump()
    return res.statusCode === 200
  } catch {
    return false
  }
}
