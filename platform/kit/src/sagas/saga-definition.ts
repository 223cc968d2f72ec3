import type pg from 'pg'
import type { Queryable } from '../db/database.js'
import type { EventDraft } from '../messaging/envelope.js'

/**
 * One step of a saga: an action a participant performs, and the
 * compensation that undoes it, both sent as commands over messaging
 * (`<participant>.command.<action>`) and answered by replies.
 */
export interface SagaStep<D = unknown> {
  /** Unique within the saga; names the step in its history and in the participant's records. */
  name: string
  /** The service that performs it (it declares the action and compensation in its `commands`). */
  participant: string
  action: string
  /** Absent when there is nothing to undo (or when a later compensation undoes this step too). */
  compensation?: string
  /** The command's payload, from the saga's data and the results of earlier steps. */
  payload: (data: D, results: Record<string, unknown>) => unknown
  /** How long the action may go unanswered before the saga compensates; the saga's default otherwise. */
  timeoutMs?: number
}

export type SagaStatus = 'running' | 'compensating' | 'completed' | 'compensated'

/** Why a saga compensated: the step that failed (or the step in flight when it was cancelled) and the reason. */
export interface SagaFailure {
  step: string
  reason: string
  /** 'refused' (the participant said no), 'timeout', 'cancelled'. */
  kind: 'refused' | 'timeout' | 'cancelled'
}

export interface SagaInstance<D = unknown> {
  id: string
  saga: string
  status: SagaStatus
  /** Index of the step whose action (running) or compensation (compensating) is awaited. */
  step: number
  /** The command whose reply is awaited (a reply to any other is stale and ignored). */
  commandId: string | null
  attempt: number
  data: D
  results: Record<string, unknown>
  failure: SagaFailure | null
  deadlineAt: Date | null
  startedAt: Date
  updatedAt: Date
  finishedAt: Date | null
}

/** What a saga's end hooks get: the transaction of the final reply, and a way to publish in it. */
export interface SagaHookContext {
  tx: pg.PoolClient | Queryable
  publish<E>(draft: EventDraft<E>): Promise<unknown>
}

export interface SagaDefinition<D = unknown> {
  name: string
  steps: Array<SagaStep<D>>
  /** A step's reply timeout when it does not set one. */
  timeoutMs?: number
  /** Each retry of an unanswered or refused compensation waits longer, up to this. */
  compensationRetryMaxMs?: number
  /** May a completed saga be compensated (cancelled) later? Compensations then run from the last step. */
  cancellableAfterCompletion?: (instance: SagaInstance<D>) => boolean
  /** In the transaction that completes the saga. */
  onCompleted?: (instance: SagaInstance<D>, context: SagaHookContext) => Promise<void>
  /** In the transaction of the last compensation's reply (or of the first failure when nothing needs undoing). */
  onCompensated?: (instance: SagaInstance<D>, context: SagaHookContext) => Promise<void>
  /** In the transaction of each failure that starts compensation (to show the order as rejecting). */
  onCompensating?: (instance: SagaInstance<D>, context: SagaHookContext) => Promise<void>
}

export const SAGA_DEFAULTS = {
  // Long enough that a participant restarting (a few seconds) only delays the saga; short enough that a
  // participant that is gone for good does not hold stock and money for long.
  timeoutMs: 30_000,
  // Compensations must end; an unanswered one is sent again, with backoff up to this.
  compensationRetryMaxMs: 30_000,
  compensationRetryBaseMs: 1_000,
}

const NAME = /^[a-z][a-z0-9-]{0,62}$/

/** Declares a saga; a bad declaration fails when the module loads. */
export function defineSaga<D>(definition: SagaDefinition<D>): SagaDefinition<D> {
  if (!NAME.test(definition.name))
    throw new Error(`saga name ${JSON.stringify(definition.name)} is not valid`)
  if (definition.steps.length === 0) throw new Error(`saga ${definition.name} has no steps`)
  const seen = new Set<string>()
  for (const step of definition.steps) {
    for (const [what, value] of [
      ['step', step.name],
      ['participant', step.participant],
      ['action', step.action],
      ...(step.compensation ? [['compensation', step.compensation]] : []),
    ] as const)
      if (!NAME.test(value))
        throw new Error(`saga ${definition.name}: ${what} ${JSON.stringify(value)} is not valid`)
    if (seen.has(step.name)) throw new Error(`saga ${definition.name}: step ${step.name} appears twice`)
    seen.add(step.name)
  }
  return definition
}

/** The event type a command travels as. */
export function commandType(participant: string, command: string): string {
  return `${participant}.command.${command}`
}

/** The event type of replies to an orchestrating service. */
export function replyType(orchestrator: string): string {
  return `saga.reply.${orchestrator}`
}

/** A command's data. */
export interface SagaCommand {
  sagaId: string
  saga: string
  step: string
  kind: 'action' | 'compensation'
  commandId: string
  replyTo: string
  attempt: number
  payload: unknown
}

/** A reply's data. */
export interface SagaReply {
  sagaId: string
  step: string
  kind: 'action' | 'compensation'
  commandId: string
  ok: boolean
  result?: unknown
  reason?: string
}
