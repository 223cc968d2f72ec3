import { fileURLToPath } from 'node:url'
import {
  createLogger,
  describeListenError,
  installShutdownHandlers,
  loadSettings,
} from '@trellis/kit/platform'
import { createConsole } from './console-app.js'
import { ConsoleSettings } from './console-settings.js'

const settings = loadSettings(ConsoleSettings, process.env)
const log = createLogger({
  service: 'console',
  instance: process.env['TRELLIS_INSTANCE_ID'] ?? 'console-1',
  level: settings.logLevel,
})
const server = createConsole({
  log,
  registryUrl: settings.registryUrl || undefined,
  controlUrl: settings.controlUrl || undefined,
  scrapeIntervalMs: settings.scrapeIntervalMs,
  maxSpans: settings.maxSpans,
  maxLogLines: settings.maxLogLines,
  // This file is bundled to dist/main.js; the UI is built to dist/ui.
  uiDir: fileURLToPath(new URL('./ui', import.meta.url)),
})
try {
  await server.app.listen({ host: settings.host, port: settings.port })
} catch (error) {
  log.fatal(`cannot start: ${describeListenError(error, settings.port, 'TRELLIS_CONSOLE_PORT')}`)
  process.exit(1)
}
const address = server.app.server.address()
const port = typeof address === 'object' && address ? address.port : settings.port
log.info({ port, url: `http://127.0.0.1:${port}` }, 'listening')
process.send?.({ type: 'trellis:listening', port })
server.start()
installShutdownHandlers(async () => {
  await server.stop()
}, log)
