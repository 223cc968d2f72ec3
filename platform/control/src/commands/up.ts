import pc from 'picocolors'
import { startSystem } from '../system.js'

export interface UpOptions {
  topologyFile: string
  json: boolean
}

/** `trellis up`: runs the system in the foreground until Ctrl-C (or `trellis down`). */
export async function up(options: UpOptions): Promise<number> {
  const color = !options.json && process.stdout.isTTY === true && !process.env['NO_COLOR']
  const started = performance.now()
  let system: Awaited<ReturnType<typeof startSystem>>
  try {
    system = await startSystem({
      topologyFile: options.topologyFile,
      jsonLogs: options.json,
      color,
      ...(process.env['TRELLIS_HOME'] ? { home: process.env['TRELLIS_HOME'] } : {}),
      ...(process.env['TRELLIS_POSTGRES_URL'] ? { postgresUrl: process.env['TRELLIS_POSTGRES_URL'] } : {}),
    })
  } catch (error) {
    process.stderr.write(
      `${color ? pc.red('trellis: cannot start') : 'trellis: cannot start'}: ${(error as Error).message}\n`,
    )
    return 1
  }

  let signals = 0
  const onSignal = (signal: string) => {
    signals += 1
    if (signals > 1) {
      process.stderr.write(`trellis: ${signal} again; killing everything now\n`)
      for (const pid of system.pids()) {
        try {
          process.kill(pid, 'SIGKILL')
        } catch {
          // gone already
        }
      }
      process.exit(130)
    }
    void system.stop()
  }
  process.on('SIGINT', () => onSignal('SIGINT'))
  process.on('SIGTERM', () => onSignal('SIGTERM'))
  process.on('SIGHUP', () => onSignal('SIGHUP'))

  system
    .waitReady(120_000)
    .then(() => {
      const seconds = ((performance.now() - started) / 1000).toFixed(1)
      const lines = [
        `Trellis is up in ${seconds} s: ${system.status().instances.length} instances ready.`,
        `  gateway   ${system.urls.gateway}   (try ${system.urls.gateway}/api/catalog/products)`,
        `  console   ${system.urls.console}   (traces, logs, metrics, alerts)`,
        `  registry  ${system.urls.registry}`,
        `  config    ${system.urls.config}   (npm run trellis -- config get catalog)`,
        `  control   ${system.urls.control}   (npm run trellis -- status)`,
        `  postgres  127.0.0.1:${system.ports.postgres}   (data in ${system.home})`,
        'Press Ctrl-C to stop.',
      ]
      if (options.json)
        process.stdout.write(
          `${JSON.stringify({ source: 'trellis', level: 'info', msg: 'system ready', seconds: Number(seconds), urls: system.urls })}\n`,
        )
      else
        process.stdout.write(
          `\n${lines.map((l, i) => (i === 0 && color ? pc.bold(pc.green(l)) : l)).join('\n')}\n\n`,
        )
    })
    .catch((error) => process.stderr.write(`trellis: ${(error as Error).message}\n`))

  await system.stopped
  return 0
}
