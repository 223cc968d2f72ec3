import { request } from 'undici'

export interface ProbeResult {
  live: boolean
  ready: boolean
}

/** Liveness and readiness of one instance over HTTP, each bounded by `timeoutMs`. */
export async function probe(port: number, timeoutMs = 1_000): Promise<ProbeResult> {
  const [live, ready] = await Promise.all([
    get(port, '/health/live', timeoutMs),
    get(port, '/health/ready', timeoutMs),
  ])
  return { live, ready }
}

async function get(port: number, path: string, timeoutMs: number): Promise<boolean> {
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
