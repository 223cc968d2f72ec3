/** How `trellis config` prints what the config server answers. Pure functions of its JSON. */

interface Effective {
  application: string
  profile: string
  instance?: string
  version: number
  values: Record<string, unknown>
  sources: Record<string, string>
}

interface Published {
  settings: Record<string, { default?: unknown; secret: boolean; apply: string; doc: string }>
}

interface Change {
  application: string
  profile: string
  instance?: string
  key: string
  removed: boolean
  value?: unknown
}

interface Revision {
  version: number
  author: string
  message: string
  createdAt: string
  rollbackTo?: number
  changes: Change[]
}

interface Diff {
  application: string
  profile: string
  instance?: string
  from: number
  to: number
  changes: Array<{
    key: string
    before?: unknown
    after?: unknown
    beforeSource?: string
    afterSource?: string
  }>
}

/** Every setting the application declares, with its value and where the value comes from. */
export function formatEffective(effective: Effective, published?: Published): string {
  const keys = [
    ...new Set([...Object.keys(published?.settings ?? {}), ...Object.keys(effective.values)]),
  ].sort()
  const rows = keys.map((key) => {
    const declared = published?.settings[key]
    const set = Object.hasOwn(effective.values, key)
    return [
      key,
      set ? show(effective.values[key]) : declared?.secret ? '(secret)' : show(declared?.default),
      set ? (effective.sources[key] ?? '') : 'not set (environment or default)',
      declared?.apply ?? '',
    ]
  })
  return [
    `${title(effective.application)} · profile ${effective.profile}${effective.instance ? ` · instance ${effective.instance}` : ''} · version ${effective.version}`,
    '',
    table(['KEY', 'VALUE', 'SOURCE', 'APPLIES'], rows),
  ].join('\n')
}

export function formatRevision(revision: Revision): string {
  return [
    `version ${revision.version} by ${revision.author}: ${revision.message}${revision.rollbackTo === undefined ? '' : ` (rollback to version ${revision.rollbackTo})`}`,
    ...revision.changes.map((c) => `  ${describeChange(c)}`),
  ].join('\n')
}

export function formatHistory(revisions: Revision[]): string {
  if (revisions.length === 0) return 'no changes yet'
  return revisions
    .map((r) =>
      [
        `v${r.version}  ${r.createdAt.replace('T', ' ').slice(0, 19)}  ${r.author}  ${r.message}${r.rollbackTo === undefined ? '' : `  (rollback to v${r.rollbackTo})`}`,
        ...r.changes.map((c) => `      ${describeChange(c)}`),
      ].join('\n'),
    )
    .join('\n')
}

export function formatDiff(diff: Diff): string {
  const header = `${title(diff.application)} · profile ${diff.profile}${diff.instance ? ` · instance ${diff.instance}` : ''} · version ${diff.from} → ${diff.to}`
  if (diff.changes.length === 0) return `${header}\nno differences`
  const lines = diff.changes.map((c) => {
    if (c.before === undefined) return `+ ${c.key}: ${show(c.after)} (${c.afterSource})`
    if (c.after === undefined) return `- ${c.key}: ${show(c.before)} (was ${c.beforeSource})`
    return `~ ${c.key}: ${show(c.before)} → ${show(c.after)} (${c.afterSource})`
  })
  return [header, ...lines].join('\n')
}

function describeChange(c: Change): string {
  const where = `${title(c.application)}${c.profile === 'default' ? '' : ` (${c.profile})`}${c.instance ? ` [${c.instance}]` : ''}`
  return `${where} ${c.key} ${c.removed ? 'removed' : `= ${show(c.value)}`}`
}

function title(application: string): string {
  return application === '*' ? 'global' : application
}

function show(value: unknown): string {
  if (value === undefined) return '-'
  return typeof value === 'string' ? value : JSON.stringify(value)
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)))
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => cell.padEnd(widths[c]!))
      .join('  ')
      .trimEnd()
  return [line(header), ...rows.map(line)].join('\n')
}
