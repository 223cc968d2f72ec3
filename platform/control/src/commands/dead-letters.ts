import { type InstanceRecord, RegistryClient } from '@trellis/kit/platform'
import { request } from 'undici'

/**
 * `trellis dead-letters`: lists, shows, replays and discards the dead
 * letters of every service (or one). Dead letters live in each service's
 * own database and any instance of the service serves them on its internal
 * `/messaging/dead-letters` routes; the CLI finds one through the registry.
 */
export const DEAD_LETTERS_USAGE = `usage:
  trellis dead-letters [list] [--service <name>] [--json]
  trellis dead-letters show <service> <id>
  trellis dead-letters replay <service> <id>
  trellis dead-letters discard <service> <id>`

interface DeadLetter {
  id: number
  messageId: string | null
  type: string | null
  error: string
  attempts: number
  deadAt: string
  replayCount: number
}

export async function deadLettersCommand(
  args: string[],
  options: { registryUrl: string; service?: string; json: boolean; out: NodeJS.WritableStream },
): Promise<number> {
  const [action = 'list', service, id] = args
  const instances = await instancesWithDeadLetters(options.registryUrl)
  const write = (text: string) => options.out.write(`${text}\n`)

  if (action === 'list') {
    const services = [...instances.keys()].filter((s) => !options.service || s === options.service).sort()
    if (options.service && services.length === 0) throw new Error(`no running instance of ${options.service}`)
    const rows: Array<DeadLetter & { service: string }> = []
    for (const name of services) {
      const res = await call(
        'GET',
        `${instances.get(name)!.url}/messaging/dead-letters?replayed=false&limit=500`,
      )
      if (res.status !== 200) throw new Error(`${name} answered ${res.status}: ${detail(res.json)}`)
      for (const letter of (res.json as { items: DeadLetter[] }).items)
        rows.push({ service: name, ...letter })
    }
    if (options.json) write(JSON.stringify(rows, null, 2))
    else
      write(
        rows.length === 0 ? `no dead letters (${services.join(', ') || 'no services'} asked)` : table(rows),
      )
    return 0
  }
  if (!['show', 'replay', 'discard'].includes(action)) throw new Error(DEAD_LETTERS_USAGE)
  if (!service || !id || !/^\d+$/.test(id)) throw new Error(DEAD_LETTERS_USAGE)
  const instance = instances.get(service)
  if (!instance) throw new Error(`no running instance of ${service} serves dead letters`)
  const base = `${instance.url}/messaging/dead-letters/${id}`
  const res =
    action === 'show'
      ? await call('GET', base)
      : action === 'replay'
        ? await call('POST', `${base}/replay`)
        : await call('DELETE', base)
  if (res.status >= 300) {
    process.stderr.write(`trellis: ${detail(res.json) ?? `${service} answered ${res.status}`}\n`)
    return 1
  }
  if (action === 'show') write(JSON.stringify(res.json, null, 2))
  else if (action === 'replay') {
    const result = res.json as { alreadyHandled: boolean }
    write(
      `${service} dead letter ${id}: replayed${result.alreadyHandled ? ' (it had been handled already; no second effect)' : ''}`,
    )
  } else write(`${service} dead letter ${id}: discarded`)
  return 0
}

/** One instance per service that serves dead letters, from the registry's catalogue. */
async function instancesWithDeadLetters(registryUrl: string): Promise<Map<string, InstanceRecord>> {
  let services: Record<string, InstanceRecord[]>
  try {
    services = (await new RegistryClient(registryUrl).catalog()).services
  } catch (error) {
    throw new Error(
      `cannot reach the registry at ${registryUrl} (${(error as Error).message}); is Trellis running? Start it with \`npm start\`.`,
    )
  }
  const found = new Map<string, InstanceRecord>()
  for (const [name, list] of Object.entries(services)) {
    const instance = list.find((i) =>
      ((i.metadata as { routes?: Array<{ url: string }> }).routes ?? []).some(
        (r) => r.url === '/messaging/dead-letters',
      ),
    )
    if (instance) found.set(name, instance)
  }
  return found
}

async function call(
  method: 'GET' | 'POST' | 'DELETE',
  url: string,
): Promise<{ status: number; json: unknown }> {
  const res = await request(url, { method, headersTimeout: 15_000, bodyTimeout: 15_000 })
  const text = await res.body.text()
  return { status: res.statusCode, json: text ? JSON.parse(text) : undefined }
}

function detail(json: unknown): string | undefined {
  return (json as { detail?: string } | undefined)?.detail
}

function table(rows: Array<DeadLetter & { service: string }>): string {
  const header = ['SERVICE', 'ID', 'TYPE', 'ATTEMPTS', 'DEAD SINCE', 'ERROR']
  const cells = rows.map((r) => [
    r.service,
    String(r.id),
    r.type ?? '(not an event)',
    String(r.attempts),
    r.deadAt.replace('T', ' ').slice(0, 19),
    r.error.replace(/\s+/g, ' ').slice(0, 80),
  ])
  const widths = header.map((h, c) => Math.max(h.length, ...cells.map((row) => row[c]!.length)))
  const line = (row: string[]) =>
    row
      .map((cell, c) => cell.padEnd(widths[c]!))
      .join('  ')
      .trimEnd()
  return [line(header), ...cells.map(line)].join('\n')
}
