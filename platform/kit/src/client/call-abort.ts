import { EventEmitter } from 'node:events'

/**
 * The abort switch of one call, fired by the call's deadline timer.
 *
 * An `AbortSignal` would do, but handing one to undici costs about 30 µs of
 * CPU per request (its event-target listener bookkeeping), which was most of
 * the kit client's overhead in bench:client. undici also accepts a plain
 * `EventEmitter` with an `aborted` flag as its `signal` (the gateway hands
 * it over so). The kit client's own steps (a wait in the bulkhead's queue,
 * then one request at a time) use the single `onAbort` slot instead, which
 * costs an assignment rather than a listener.
 */
export class CallAbort extends EventEmitter {
  aborted = false
  /** The one step of the call that stops at the deadline now, if any. */
  onAbort: (() => void) | undefined

  abort(): void {
    if (this.aborted) return
    this.aborted = true
    this.onAbort?.()
    this.emit('abort')
  }

  /** Typed as the AbortSignal the libraries' signatures name; they use only `aborted` and 'abort' listeners. */
  get signal(): AbortSignal {
    return this as unknown as AbortSignal
  }
}
