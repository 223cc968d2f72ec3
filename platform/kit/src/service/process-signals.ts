import type { Logger } from '../log/logger.js'

/**
 * SIGTERM, SIGINT and the loss of the supervising control loop (its IPC
 * channel closes, even when it was SIGKILLed) all run `stop` once, then exit.
 * A second signal exits at once.
 */
export function installShutdownHandlers(stop: (reason: string) => Promise<void>, log: Logger): void {
  let signals = 0
  const onSignal = (reason: string) => {
    signals += 1
    if (signals > 1) {
      log.warn({ reason }, 'second stop request; exiting now')
      process.exit(130)
    }
    void stop(reason).then(
      () => process.exit(0),
      (error) => {
        log.error({ err: error }, 'shutdown failed')
        process.exit(1)
      },
    )
  }
  process.on('SIGTERM', () => onSignal('SIGTERM'))
  process.on('SIGINT', () => onSignal('SIGINT'))
  process.on('disconnect', () => onSignal('control loop gone'))
}

/** A readable reason for a failed listen, naming the setting that moves the port. */
export function describeListenError(error: unknown, port: number, variable: string): string {
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'EADDRINUSE')
    return `port ${port} is already in use; stop the other process or set ${variable}`
  if (code === 'EACCES') return `no permission to listen on port ${port}; choose another with ${variable}`
  return (error as Error).message
}
