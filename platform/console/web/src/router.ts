import { useEffect, useState } from 'react'

const read = (): string[] =>
  window.location.hash.replace(/^#\/?/, '').split('?')[0]!.split('/').filter(Boolean).map(decodeURIComponent)

/** The page is in the hash (#/traces/abc), so the console works from any path and on reload. */
export function useRoute(): string[] {
  const [route, setRoute] = useState(read)
  useEffect(() => {
    const onChange = () => setRoute(read())
    window.addEventListener('hashchange', onChange)
    return () => window.removeEventListener('hashchange', onChange)
  }, [])
  return route
}

export const go = (path: string) => {
  window.location.hash = `#/${path}`
}
