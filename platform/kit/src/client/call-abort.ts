import { EventEmitter } from 'node:events'

/**
 * The abort switch of one call, fired by the call's deadline timer.
 *
 * An `AbortSignal` would do, but handing one to undici costs about 30 µs of
 * CPU per request (its event-target listener bookkeeping), which was most of
 * the kit client's overhead in bench:client. undici also accepts a plain
 * `EventEmitter` with an `aborted` flag as its `signal`, and cockatiel's
 * bulkhead only reads `aborted`, so this small class serves both.
 */
export class CallAbort extends EventEmitter {
  aborted = false

  abort(): void {
    if (this.aborted) return
    this.aborted = true
    this.emit('abort')
  }

  /** Typed as the AbortSignal the libraries' signatures name; they use only `aborted` and 'abort' listeners. */
  get signal(): AbortSignal {
    return this as unknown as AbortSignal
  }
}
