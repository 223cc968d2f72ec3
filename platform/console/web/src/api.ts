import { useCallback, useEffect, useRef, useState } from 'react'

export async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path)
  const body = await res.json()
  if (!res.ok) throw new Error(body?.detail ?? `${res.status}`)
  return body as T
}

export async function postJson<T>(path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method: 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? null : JSON.stringify(body),
  })
  const json = await res.json().catch(() => ({}))
  if (!res.ok) throw new Error(json?.detail ?? `${res.status}`)
  return json as T
}

/** Fetches `path` now and every `everyMs` (0: once); the last good answer stays while a refresh fails. */
export function usePoll<T>(
  path: string | undefined,
  everyMs = 2_000,
): { data: T | undefined; error: string | undefined; reload: () => void } {
  const [data, setData] = useState<T>()
  const [error, setError] = useState<string>()
  const [_tick, setTick] = useState(0)
  const current = useRef(path)
  current.current = path
  useEffect(() => {
    if (!path) return
    let stopped = false
    let timer: ReturnType<typeof setTimeout> | undefined
    const load = async () => {
      try {
        const value = await getJson<T>(path)
        if (!stopped && current.current === path) {
          setData(value)
          setError(undefined)
        }
      } catch (e) {
        if (!stopped) setError((e as Error).message)
      }
      if (!stopped && everyMs > 0) timer = setTimeout(load, everyMs)
    }
    void load()
    return () => {
      stopped = true
      clearTimeout(timer)
    }
  }, [path, everyMs])
  return { data, error, reload: useCallback(() => setTick((t) => t + 1), []) }
}

export const fmtMs = (ms: number | undefined) =>
  ms === undefined ? '–' : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 2 : 1)} ms`
export const fmtTime = (t: number) => new Date(t).toLocaleTimeString(undefined, { hour12: false })
export const fmtNum = (n: number | undefined, digits = 1) => (n === undefined ? '–' : n.toFixed(digits))
