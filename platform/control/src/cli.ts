#!/usr/bin/env node
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { DEFAULT_PORTS, loadTopology } from '@trellis/kit/platform'
import type { SystemStatus } from './api/control-api.js'
import { callControl, controlUrl } from './commands/client.js'
import { CONFIG_USAGE, configCommand } from './commands/config.js'
import { configServerUrl } from './commands/config-client.js'
import { deadLettersCommand } from './commands/dead-letters.js'
import { alertsCommand, consoleUrl, logsCommand, traceCommand } from './commands/observe.js'
import { formatStatus } from './commands/status.js'
import { up } from './commands/up.js'

const HELP = `trellis: run and inspect a Trellis system

Usage:
  trellis up [--topology trellis.yaml] [--json]   start everything; Ctrl-C stops it
  trellis status [--json]                         every instance: phase, readiness, port, restarts
  trellis restart <instance>                      restart one instance (e.g. catalog-1)
  trellis kill <instance>                         SIGKILL one instance (the loop restarts it)
  trellis stop <instance>                         stop one instance and keep it stopped
  trellis start <instance>                        run a stopped instance again
  trellis scale <service> <replicas>              change a service's replica count
  trellis config get|set|unset|history|diff|rollback …   central configuration (trellis config for help)
  trellis down                                    stop a running system
  trellis dead-letters [list] [--service <name>]  messages services gave up on, with their errors
  trellis dead-letters show|replay|discard <service> <id>
  trellis logs [service] [--trace <id>] [--instance <key>] [--level warn] [--grep <text>] [--since 10m] [--follow]
                                                  every instance's log lines, from the console's store
  trellis trace <trace id | request id>           one trace as a waterfall
  trellis alerts [--rules]                        alert states (or the rules as a Prometheus rule file)

Environment:
  TRELLIS_HOME           data folder (default .trellis beside trellis.yaml)
  TRELLIS_POSTGRES_URL   use this Postgres server (admin URL) instead of the embedded one
  TRELLIS_<GATEWAY|REGISTRY|CONFIG|CONTROL|POSTGRES>_PORT   move a port
  TRELLIS_CONTROL_URL    where the CLI finds a running control loop
  TRELLIS_CONFIG_URL     where \`trellis config\` finds the config server
  TRELLIS_CONFIG_ADMIN_TOKEN  the config admin token (default: from the data folder)
  TRELLIS_REGISTRY_URL   where the CLI finds the registry (dead-letters)
  TRELLIS_CONSOLE_URL    where logs, trace and alerts find the console
  TRELLIS_MESSAGING_TRANSPORT, TRELLIS_BROKER_URL   choose the event transport (see docs/messaging.md)
`

async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      topology: { type: 'string', default: 'trellis.yaml' },
      json: { type: 'boolean', default: false },
      service: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
      profile: { type: 'string' },
      instance: { type: 'string' },
      message: { type: 'string', short: 'm' },
      author: { type: 'string' },
      reveal: { type: 'boolean', default: false },
      limit: { type: 'string' },
      trace: { type: 'string' },
      level: { type: 'string' },
      grep: { type: 'string' },
      since: { type: 'string' },
      follow: { type: 'boolean', short: 'f', default: false },
      rules: { type: 'boolean', default: false },
    },
  })
  const [command, ...rest] = positionals
  if (values.help || !command || command === 'help') {
    process.stdout.write(HELP)
    return command || values.help ? 0 : 1
  }
  const topologyFile = resolve(values.topology)
  if (command === 'up') return up({ topologyFile, json: values.json })

  const topology = await loadTopology(topologyFile).catch(() => undefined)
  if (command === 'dead-letters') {
    const registryPort =
      Number(process.env['TRELLIS_REGISTRY_PORT']) || topology?.ports.registry || DEFAULT_PORTS.registry
    return deadLettersCommand(rest, {
      registryUrl:
        process.env['TRELLIS_REGISTRY_URL']?.replace(/\/$/, '') || `http://127.0.0.1:${registryPort}`,
      json: values.json,
      out: process.stdout,
      ...(values.service ? { service: values.service } : {}),
    })
  }
  const ports = topology?.ports ?? DEFAULT_PORTS
  const base = await controlUrl(Number(process.env['TRELLIS_CONTROL_PORT']) || ports.control)
  const color = process.stdout.isTTY === true && !process.env['NO_COLOR']
  switch (command) {
    case 'status': {
      const { json } = await callControl(base, 'GET', '/v1/status')
      process.stdout.write(
        values.json ? `${JSON.stringify(json, null, 2)}\n` : `${formatStatus(json as SystemStatus, color)}\n`,
      )
      return 0
    }
    case 'restart':
    case 'kill':
    case 'stop':
    case 'start': {
      const key = rest[0]
      if (!key) throw new Error(`usage: trellis ${command} <instance>`)
      const res = await callControl(base, 'POST', `/v1/instances/${encodeURIComponent(key)}/${command}`)
      return report(res, `${command} ${key}: requested`)
    }
    case 'scale': {
      const [service, replicas] = rest
      if (!service || replicas === undefined || !/^\d+$/.test(replicas))
        throw new Error('usage: trellis scale <service> <replicas>')
      const res = await callControl(base, 'POST', `/v1/services/${encodeURIComponent(service)}/scale`, {
        replicas: Number(replicas),
      })
      return report(res, `${service} scaled to ${replicas}`)
    }
    case 'config': {
      if (rest.length === 0) {
        process.stdout.write(`${CONFIG_USAGE}\n`)
        return 0
      }
      return configCommand(rest, {
        base: await configServerUrl(base, Number(process.env['TRELLIS_CONFIG_PORT']) || ports.config),
        home: process.env['TRELLIS_HOME'] ?? resolve(topology?.root ?? '.', '.trellis'),
        profile: values.profile,
        instance: values.instance,
        message: values.message,
        author: values.author,
        reveal: values.reveal,
        json: values.json,
        limit: values.limit,
        out: (text) => process.stdout.write(`${text}\n`),
      })
    }
    case 'logs':
    case 'trace':
    case 'alerts': {
      const consoleBase = await consoleUrl(base, Number(process.env['TRELLIS_CONSOLE_PORT']) || ports.console)
      if (command === 'trace') return traceCommand(consoleBase, rest[0], color, process.stdout, values.json)
      if (command === 'alerts')
        return alertsCommand(consoleBase, values.rules, color, process.stdout, values.json)
      return logsCommand(consoleBase, {
        service: rest[0],
        trace: values.trace,
        instance: values.instance,
        level: values.level,
        grep: values.grep,
        since: values.since,
        limit: values.limit,
        follow: values.follow,
        json: values.json,
        color,
        out: process.stdout,
      })
    }
    case 'down': {
      const res = await callControl(base, 'POST', '/v1/shutdown')
      return report(res, 'shutdown requested')
    }
    default:
      process.stderr.write(`trellis: unknown command ${JSON.stringify(command)}\n\n${HELP}`)
      return 1
  }
}

function report(res: { status: number; json: unknown }, ok: string): number {
  if (res.status < 300) {
    process.stdout.write(`${ok}\n`)
    return 0
  }
  const problem = res.json as { detail?: string } | undefined
  process.stderr.write(`trellis: ${problem?.detail ?? `failed with status ${res.status}`}\n`)
  return 1
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`trellis: ${(error as Error).message}\n`)
    process.exit(1)
  },
)
