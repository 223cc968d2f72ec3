import { type Dispatcher, request } from 'undici'

export interface PlatformCall {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE'
  /** Sent as JSON when given. */
  body?: unknown
  headers?: Record<string, string>
  /** For the response's head and for its body, each. */
  timeoutMs: number
  signal?: AbortSignal | undefined
  dispatcher?: Dispatcher | undefined
}

/**
 * One request to a platform server (the registry, the config server), whose
 * answer is read as text for the caller to judge. A server that does not
 * answer becomes `unreachable(reason)`; a call the caller aborted rethrows
 * as it is.
 */
export async function platformCall(
  url: string,
  call: PlatformCall,
  unreachable: (reason: string) => Error,
): Promise<{ status: number; text: string }> {
  try {
    const res = await request(url, {
      method: call.method,
      headers: {
        ...call.headers,
        ...(call.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: call.body === undefined ? undefined : JSON.stringify(call.body),
      headersTimeout: call.timeoutMs,
      bodyTimeout: call.timeoutMs,
      signal: call.signal,
      dispatcher: call.dispatcher,
    })
    return { status: res.statusCode, text: await res.body.text() }
  } catch (error) {
    if (call.signal?.aborted) throw error
    throw unreachable(error instanceof Error ? error.message : String(error))
  }
}

/** A path segment, encoded. */
export function enc(segment: string): string {
  return encodeURIComponent(segment)
}
