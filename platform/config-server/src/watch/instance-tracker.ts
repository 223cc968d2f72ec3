/** What the config server knows about an instance from its watch requests. */
export interface TrackedInstance {
  application: string
  instance: string
  profile: string
  /** The version the instance said it runs (or was last sent). */
  version: number | null
  /** A watch of this instance is open right now. */
  watching: boolean
  lastSeenAt: string
}

const DEFAULTS = {
  // An instance not seen for this long (and not watching) is forgotten.
  forgetAfterMs: 120_000,
}

/**
 * Which instance runs which version, read from the watches themselves:
 * each watch says the version the instance holds. The console shows it, so
 * an instance that lags behind the newest version stands out.
 */
export class InstanceTracker {
  private readonly instances = new Map<string, TrackedInstance & { open: number; seenAt: number }>()

  constructor(private readonly forgetAfterMs = DEFAULTS.forgetAfterMs) {}

  /** A watch began; returns a function to call when it is answered, with the version sent. */
  begin(
    application: string,
    instance: string,
    profile: string,
    holds: number | null,
  ): (sent: number) => void {
    const id = `${application}/${instance}`
    const entry = this.instances.get(id) ?? {
      application,
      instance,
      profile,
      version: holds,
      watching: false,
      lastSeenAt: '',
      open: 0,
      seenAt: 0,
    }
    Object.assign(entry, { profile, seenAt: Date.now(), lastSeenAt: new Date().toISOString() })
    if (holds !== null) entry.version = holds
    entry.open += 1
    this.instances.set(id, entry)
    return (sent) => {
      entry.open = Math.max(0, entry.open - 1)
      entry.version = sent
      entry.seenAt = Date.now()
      entry.lastSeenAt = new Date().toISOString()
    }
  }

  list(application: string): TrackedInstance[] {
    const now = Date.now()
    const out: TrackedInstance[] = []
    for (const [id, entry] of this.instances) {
      if (entry.open === 0 && now - entry.seenAt > this.forgetAfterMs) {
        this.instances.delete(id)
        continue
      }
      if (entry.application !== application) continue
      const { open, seenAt, ...rest } = entry
      out.push({ ...rest, watching: open > 0 })
    }
    return out.sort((a, b) => a.instance.localeCompare(b.instance, 'en', { numeric: true }))
  }
}
