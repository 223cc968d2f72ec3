import type { Property } from './effective.js'
import type { ChangeRequest } from './validator.js'

/**
 * The changes that make properties as they were: every property that
 * differs from its value then is set back, every property added since is
 * removed. Pure; the result goes through the same validation as any change,
 * so a rollback to a value the current schema refuses is refused too.
 */
export function planRollback(then: Property[], now: Property[]): ChangeRequest[] {
  const placeOf = (p: Property) => `${p.application}\0${p.profile}\0${p.instance}\0${p.key}`
  const before = new Map(then.map((p) => [placeOf(p), p]))
  const current = new Map(now.map((p) => [placeOf(p), p]))
  const changes: ChangeRequest[] = []
  for (const [place, old] of before) {
    const present = current.get(place)
    if (present && JSON.stringify(present.value) === JSON.stringify(old.value)) continue
    changes.push({
      application: old.application,
      profile: old.profile,
      ...(old.instance ? { instance: old.instance } : {}),
      key: old.key,
      value: old.value,
    })
  }
  for (const [place, added] of current) {
    if (before.has(place)) continue
    changes.push({
      application: added.application,
      profile: added.profile,
      ...(added.instance ? { instance: added.instance } : {}),
      key: added.key,
      remove: true,
    })
  }
  return changes.sort((a, b) =>
    `${a.profile}/${a.instance ?? ''}/${a.key}`.localeCompare(`${b.profile}/${b.instance ?? ''}/${b.key}`),
  )
}
