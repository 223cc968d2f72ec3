import type { ServiceDirectory } from '../registry/service-directory.js'

export interface InstanceRef {
  id: string
  url: string
}

/** Where a client learns a dependency's instances: the registry, or a fixed list. */
export interface InstanceSource {
  current(): InstanceRef[]
  /** Calls `listener` whenever the list may have changed; returns an unsubscribe function. */
  subscribe(listener: () => void): () => void
}

/** The instances the process's ServiceDirectory (one registry watch per process) lists. */
export function directorySource(directory: ServiceDirectory, service: string): InstanceSource {
  return {
    current: () => directory.instances(service).map((i) => ({ id: i.id, url: i.url })),
    subscribe: (listener) => {
      directory.on('change', listener)
      return () => directory.off('change', listener)
    },
  }
}

/** A fixed list of URLs: a Kubernetes Service name, a test's stub, Pact's mock server. */
export function staticSource(service: string, urls: string[]): InstanceSource {
  const instances = urls.map((url, i) => ({
    id: urls.length === 1 ? `${service}@${new URL(url).host}` : `${service}-${i + 1}@${new URL(url).host}`,
    url: url.replace(/\/$/, ''),
  }))
  return { current: () => instances, subscribe: () => () => undefined }
}
