import pc from 'picocolors'

export interface LogPrinterOptions {
  out: NodeJS.WritableStream
  /** Pass each instance's JSON lines through unchanged (with the source added), for machines. */
  json: boolean
  color: boolean
}

const PALETTE = [
  pc.cyan,
  pc.magenta,
  pc.yellow,
  pc.blue,
  pc.green,
  pc.redBright,
  pc.cyanBright,
  pc.magentaBright,
  pc.yellowBright,
  pc.blueBright,
]
const LEVELS: Record<string, (s: string) => string> = {
  trace: pc.gray,
  debug: pc.gray,
  info: pc.green,
  warn: pc.yellow,
  error: pc.red,
  fatal: (s) => pc.bgRed(pc.white(s)),
}
const SKIP = new Set(['time', 'level', 'msg', 'service', 'instance', 'pid', 'hostname', 'v'])

/**
 * Prints every instance's log lines with a coloured prefix, the way a
 * developer wants to read them in one terminal; JSON mode keeps them whole.
 */
export class LogPrinter {
  private readonly colors = new Map<string, (s: string) => string>()
  private width = 10

  constructor(private readonly options: LogPrinterOptions) {}

  /** A line an instance wrote. */
  instance(source: string, stream: 'stdout' | 'stderr', line: string): void {
    if (this.options.json) {
      this.write(
        line.startsWith('{')
          ? line.replace(/^\{/, `{"source":${JSON.stringify(source)},`)
          : JSON.stringify({ source, stream, msg: line }),
      )
      return
    }
    this.write(`${this.prefix(source)} ${formatLine(line, this.options.color, stream)}`)
  }

  /** A message of the control loop itself. */
  system(message: string, level: 'info' | 'warn' | 'error' = 'info'): void {
    if (this.options.json) {
      this.write(JSON.stringify({ source: 'trellis', level, time: new Date().toISOString(), msg: message }))
      return
    }
    const paint = level === 'error' ? pc.red : level === 'warn' ? pc.yellow : (s: string) => s
    this.write(`${this.prefix('trellis')} ${this.c(pc.bold, paint(message))}`)
  }

  private prefix(source: string): string {
    this.width = Math.max(this.width, source.length)
    const name = source.padEnd(this.width)
    if (!this.options.color) return `${name} |`
    let paint = this.colors.get(source)
    if (!paint) {
      paint = source === 'trellis' ? pc.bold : PALETTE[hash(source) % PALETTE.length]!
      this.colors.set(source, paint)
    }
    return `${paint(name)} ${pc.gray('│')}`
  }

  private c(paint: (s: string) => string, text: string): string {
    return this.options.color ? paint(text) : text
  }

  private write(text: string): void {
    this.options.out.write(`${text}\n`)
  }
}

/** One JSON log line as `12:00:01.123 INFO  message key=value …`; other lines as they are. */
export function formatLine(line: string, color: boolean, stream: 'stdout' | 'stderr' = 'stdout'): string {
  if (!line.startsWith('{')) return stream === 'stderr' && color ? pc.red(line) : line
  let entry: Record<string, unknown>
  try {
    entry = JSON.parse(line) as Record<string, unknown>
  } catch {
    return line
  }
  const time = typeof entry['time'] === 'string' ? entry['time'].slice(11, 23) : ''
  const level = String(entry['level'] ?? 'info')
  const paintLevel = color ? (LEVELS[level] ?? ((s: string) => s)) : (s: string) => s
  const msg = String(entry['msg'] ?? '')
  let body: string
  if (msg === 'request' && typeof entry['method'] === 'string') {
    const status = Number(entry['status'])
    const paintStatus = !color ? String : status >= 500 ? pc.red : status >= 400 ? pc.yellow : pc.green
    body = `${entry['method']} ${entry['url']} ${paintStatus(String(status))} ${entry['ms']}ms`
    if (entry['upstream']) body += ` → ${entry['upstream']}`
  } else {
    const extras = Object.entries(entry)
      .filter(([k, v]) => !SKIP.has(k) && v !== undefined && k !== 'err')
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ')
    body = extras ? `${msg} ${color ? pc.gray(extras) : extras}` : msg
    const err = entry['err'] as { message?: string; stack?: string } | undefined
    if (err?.stack) body += `\n${err.stack}`
    else if (err?.message) body += ` (${err.message})`
  }
  return `${color ? pc.gray(time) : time} ${paintLevel(level.toUpperCase().padEnd(5))} ${body}`
}

function hash(text: string): number {
  let h = 0
  for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) >>> 0
  return h
}
