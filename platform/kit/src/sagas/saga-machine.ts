import {
  SAGA_DEFAULTS,
  type SagaDefinition,
  type SagaFailure,
  type SagaInstance,
  type SagaReply,
  type SagaStatus,
} from './saga-definition.js'

/** What can happen to a saga instance. */
export type SagaInput =
  | { kind: 'start' }
  | { kind: 'reply'; reply: SagaReply }
  | { kind: 'timeout' }
  | { kind: 'cancel'; reason: string }

export interface SagaHistoryEntry {
  step: string
  kind: 'action' | 'compensation'
  /** sent, replied, refused, timed-out, compensated, compensation-refused, cancelled */
  event: string
  detail?: unknown
}

/**
 * The state a saga instance moves to, and what to do: the command to send
 * (a step and whether its action or its compensation), the reply deadline,
 * the history entries to record. Pure: the engine applies it in the
 * transaction that read the instance.
 */
export interface SagaDecision {
  /** The input changes nothing (a stale or duplicate reply, a late timeout); the reason says why. */
  ignored?: string
  status: SagaStatus
  step: number
  attempt: number
  failure: SagaFailure | null
  results: Record<string, unknown>
  send?: { step: number; kind: 'action' | 'compensation' }
  /** Milliseconds from now until the awaited reply is late; null when nothing is awaited. */
  deadlineMs: number | null
  history: SagaHistoryEntry[]
  /** Set when this decision ends the saga. */
  finished?: 'completed' | 'compensated'
  /** Set when this decision turns a running (or completed) saga to compensation. */
  compensationStarted?: boolean
}

export function stepTimeoutMs(definition: SagaDefinition<never>, index: number): number {
  return definition.steps[index]?.timeoutMs ?? definition.timeoutMs ?? SAGA_DEFAULTS.timeoutMs
}

/** Waits between tries of an unanswered or refused compensation: 1 s, 2 s, 4 s … up to the saga's maximum. */
export function compensationRetryMs(definition: SagaDefinition<never>, attempt: number): number {
  const max = definition.compensationRetryMaxMs ?? SAGA_DEFAULTS.compensationRetryMaxMs
  return Math.min(max, SAGA_DEFAULTS.compensationRetryBaseMs * 2 ** Math.max(0, attempt - 1))
}

/** The highest step at or below `from` that has a compensation; -1 when none. */
export function nextCompensation(definition: SagaDefinition<never>, from: number): number {
  for (let i = Math.min(from, definition.steps.length - 1); i >= 0; i--)
    if (definition.steps[i]!.compensation) return i
  return -1
}

export function decide(
  definition: SagaDefinition<never>,
  instance: Pick<SagaInstance, 'status' | 'step' | 'attempt' | 'failure' | 'results' | 'commandId'>,
  input: SagaInput,
): SagaDecision {
  const steps = definition.steps
  const same: SagaDecision = {
    status: instance.status,
    step: instance.step,
    attempt: instance.attempt,
    failure: instance.failure,
    results: instance.results,
    deadlineMs: null,
    history: [],
  }
  const ignore = (reason: string): SagaDecision => ({ ...same, ignored: reason })
  const stepName = (i: number) => steps[i]!.name

  /** Compensate from step `from` downwards (skipping steps with nothing to undo), or end compensated. */
  const compensateFrom = (from: number, base: SagaDecision): SagaDecision => {
    const next = nextCompensation(definition, from)
    if (next < 0)
      return {
        ...base,
        status: 'compensated',
        step: -1,
        attempt: 1,
        deadlineMs: null,
        finished: 'compensated',
      }
    return {
      ...base,
      status: 'compensating',
      step: next,
      attempt: 1,
      send: { step: next, kind: 'compensation' },
      deadlineMs: compensationRetryMs(definition, 1) + stepTimeoutMs(definition, next),
      history: [...base.history, { step: stepName(next), kind: 'compensation', event: 'sent' }],
    }
  }
  const fail = (failure: SagaFailure, from: number, history: SagaHistoryEntry[]): SagaDecision => ({
    ...compensateFrom(from, { ...same, failure, history }),
    compensationStarted: true,
  })

  switch (input.kind) {
    case 'start':
      return {
        ...same,
        status: 'running',
        step: 0,
        attempt: 1,
        send: { step: 0, kind: 'action' },
        deadlineMs: stepTimeoutMs(definition, 0),
        history: [{ step: stepName(0), kind: 'action', event: 'sent' }],
      }

    case 'reply': {
      const { reply } = input
      if (instance.status === 'completed' || instance.status === 'compensated')
        return ignore('saga has ended')
      if (reply.commandId !== instance.commandId) return ignore('reply to a command no longer awaited')
      if (instance.status === 'running') {
        if (!reply.ok) {
          const failure: SagaFailure = {
            step: stepName(instance.step),
            reason: reply.reason ?? 'refused',
            kind: 'refused',
          }
          // The refusing participant did nothing: compensation starts with the step before.
          return fail(failure, instance.step - 1, [
            { step: failure.step, kind: 'action', event: 'refused', detail: reply.reason },
          ])
        }
        const results = { ...instance.results, [stepName(instance.step)]: reply.result ?? null }
        const history: SagaHistoryEntry[] = [
          { step: stepName(instance.step), kind: 'action', event: 'replied' },
        ]
        const next = instance.step + 1
        if (next >= steps.length)
          return { ...same, results, status: 'completed', deadlineMs: null, history, finished: 'completed' }
        return {
          ...same,
          results,
          step: next,
          attempt: 1,
          send: { step: next, kind: 'action' },
          deadlineMs: stepTimeoutMs(definition, next),
          history: [...history, { step: stepName(next), kind: 'action', event: 'sent' }],
        }
      }
      // compensating
      if (!reply.ok) {
        const attempt = instance.attempt + 1
        return {
          ...same,
          attempt,
          send: { step: instance.step, kind: 'compensation' },
          deadlineMs: compensationRetryMs(definition, attempt) + stepTimeoutMs(definition, instance.step),
          history: [
            {
              step: stepName(instance.step),
              kind: 'compensation',
              event: 'compensation-refused',
              detail: reply.reason,
            },
            { step: stepName(instance.step), kind: 'compensation', event: 'sent', detail: { attempt } },
          ],
        }
      }
      return compensateFrom(instance.step - 1, {
        ...same,
        history: [{ step: stepName(instance.step), kind: 'compensation', event: 'compensated' }],
      })
    }

    case 'timeout': {
      if (instance.status === 'running') {
        const timeout = stepTimeoutMs(definition, instance.step)
        const failure: SagaFailure = {
          step: stepName(instance.step),
          reason: `no reply within ${timeout} ms`,
          kind: 'timeout',
        }
        // The action may have happened with its reply lost or late: its compensation runs too.
        return fail(failure, instance.step, [
          { step: failure.step, kind: 'action', event: 'timed-out', detail: { timeoutMs: timeout } },
        ])
      }
      if (instance.status === 'compensating') {
        const attempt = instance.attempt + 1
        return {
          ...same,
          attempt,
          send: { step: instance.step, kind: 'compensation' },
          deadlineMs: compensationRetryMs(definition, attempt) + stepTimeoutMs(definition, instance.step),
          history: [
            { step: stepName(instance.step), kind: 'compensation', event: 'timed-out' },
            { step: stepName(instance.step), kind: 'compensation', event: 'sent', detail: { attempt } },
          ],
        }
      }
      return ignore('nothing awaited')
    }

    case 'cancel': {
      if (instance.status === 'running') {
        const failure: SagaFailure = {
          step: stepName(instance.step),
          reason: input.reason,
          kind: 'cancelled',
        }
        // The action in flight may still happen: compensate it too (the participant refuses it if it comes later).
        return fail(failure, instance.step, [{ step: failure.step, kind: 'action', event: 'cancelled' }])
      }
      if (instance.status === 'completed') {
        const last = steps.length - 1
        const failure: SagaFailure = { step: stepName(last), reason: input.reason, kind: 'cancelled' }
        return fail(failure, last, [{ step: failure.step, kind: 'action', event: 'cancelled' }])
      }
      return ignore(`saga is ${instance.status}`)
    }
  }
}
