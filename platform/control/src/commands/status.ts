import pc from 'picocolors'
import type { SystemStatus } from '../api/control-api.js'

/** `trellis status`: one line per instance. */
export function formatStatus(status: SystemStatus, color: boolean): string {
  const paint = (fn: (s: string) => string, s: string) => (color ? fn(s) : s)
  const header = ['INSTANCE', 'PHASE', 'READY', 'PID', 'PORT', 'RESTARTS', 'UPTIME', 'NOTE']
  const now = Date.now()
  const rows = status.instances.map((i) => [
    i.key,
    i.phase,
    i.ready ? 'yes' : 'no',
    i.pid ? String(i.pid) : '-',
    i.port ? String(i.port) : '-',
    String(i.restarts),
    i.startedAt && i.phase !== 'backoff' && i.phase !== 'failed' ? duration(now - i.startedAt) : '-',
    i.message ?? '',
  ])
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)))
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => cell.padEnd(widths[c]!))
      .join('  ')
      .trimEnd()
  const phaseColor = (phase: string) =>
    phase === 'running' ? pc.green : phase === 'starting' ? pc.yellow : pc.red
  const pg = status.postgres
  const out = [
    `${paint(pc.bold, status.name)}  gateway :${status.ports['gateway']}  registry :${status.ports['registry']}  config :${status.ports['config']}  control :${status.ports['control']}  console :${status.ports['console']}  postgres ${pg.mode === 'embedded' ? `:${pg.port} (${pg.running ? 'running' : 'stopped'})` : '(external)'}  messaging ${status.messaging?.transport ?? '?'}`,
    '',
    paint(pc.bold, line(header)),
    ...rows.map((r) => {
      const text = line(r)
      return color ? text.replace(r[1]!, phaseColor(r[1]!)(r[1]!)) : text
    }),
  ]
  return out.join('\n')
}

function duration(ms: number): string {
  const s = Math.floor(ms / 1000)
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
}
