import { Type } from '@sinclair/typebox'
import { type LevelWithSilent, type Logger, pino } from 'pino'
import { activeTraceFields } from '../tracing/trace-context.js'

export type { Logger }

/** The levels a process may log at, as a settings schema. */
export const LogLevel = Type.Union([
  Type.Literal('fatal'),
  Type.Literal('error'),
  Type.Literal('warn'),
  Type.Literal('info'),
  Type.Literal('debug'),
  Type.Literal('trace'),
  Type.Literal('silent'),
])

export interface LoggerOptions {
  service: string
  instance: string
  level?: LevelWithSilent
  /** Where lines go; stdout by default (the control loop or a cluster agent collects it). */
  destination?: NodeJS.WritableStream
}

/**
 * Paths never written to logs. Tokens, passwords and cookies are removed
 * wherever a caller logs a request or a body by mistake.
 */
const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'headers.authorization',
  'headers.cookie',
  'password',
  '*.password',
  'token',
  '*.token',
  'secret',
  '*.secret',
]

/** One JSON object a line, with `service`, `instance`, a level name, ISO time, and the active span's ids. */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.service, instance: options.instance },
      messageKey: 'msg',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT, censor: '[redacted]' },
      // Lines written while a span is active (in a handler, a message handler) carry trace_id and span_id.
      mixin: activeTraceFields,
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  )
}
