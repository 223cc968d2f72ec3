import type pg from 'pg'
import type { Logger } from '../log/logger.js'
import type { Envelope, EventDraft } from '../messaging/envelope.js'
import type { EventHandler, Subscriptions } from '../messaging/subscriptions.js'
import { commandType, replyType, type SagaCommand, type SagaReply } from './saga-definition.js'

/** What a command handler gets besides the payload. */
export interface CommandContext {
  /** The consumer's transaction: the handler's writes, its record and its reply commit together. */
  tx: pg.PoolClient
  log: Logger
  sagaId: string
  step: string
  /** 1 for the first try of a compensation; more when it is sent again. */
  attempt: number
  /** Publishes an event in the same transaction. */
  publish<D>(draft: EventDraft<D>): Promise<Envelope<D>>
  /**
   * Records the outcome but sends no reply, as if the reply were lost on
   * the way: the orchestrator's timeout must then take over. For simulated
   * failures (a provider that does not answer), never for real work.
   */
  withholdReply(): void
}

// biome-ignore lint/suspicious/noExplicitAny: handlers of different commands sit in one map
export type CommandHandler<P = any, R = unknown> = (payload: P, context: CommandContext) => Promise<R>

/**
 * `commands` in a service definition: the saga commands the service
 * performs, by name. A compensation must be safe to run when its action
 * never ran (or ran only partly), and more than once: it undoes whatever the
 * saga's step did, found by the saga id, and nothing else.
 */
export type SagaCommands = Record<string, CommandHandler>

/**
 * Thrown by a command handler to say no (out of stock, card declined): the
 * saga compensates. The handler's writes are rolled back, unless `keepWrites`
 * (a record of the refusal itself, such as a declined payment).
 */
export class SagaRefusal extends Error {
  constructor(
    message: string,
    readonly code?: string,
    readonly options: { keepWrites?: boolean } = {},
  ) {
    super(message)
    this.name = 'SagaRefusal'
  }
}

const SAVEPOINT = 'trellis_saga_command'

interface Record_ {
  action_reply: Omit<SagaReply, 'commandId'> | null
  compensation_reply: Omit<SagaReply, 'commandId'> | null
  compensated_at: Date | null
}

/**
 * The subscriptions that make a service a saga participant: each command
 * (`<service>.command.<name>`) runs its handler once per saga step, records
 * the reply in `trellis_saga_participation`, and publishes it to the
 * orchestrator in the same transaction. A command delivered again is
 * answered from the record; an action that arrives after its compensation
 * (it was late, the saga timed out) is refused without running.
 */
export function participantSubscriptions(service: string, commands: SagaCommands): Subscriptions {
  const subscriptions: Subscriptions = {}
  for (const [name, handler] of Object.entries(commands))
    subscriptions[commandType(service, name)] = participate(handler)
  return subscriptions
}

function participate(handler: CommandHandler): EventHandler<SagaCommand> {
  return async (event, { tx, log, publish }) => {
    const command = event.data
    await tx.query(
      'INSERT INTO trellis_saga_participation (saga_id, step) VALUES ($1, $2) ON CONFLICT DO NOTHING',
      [command.sagaId, command.step],
    )
    const { rows } = await tx.query<Record_>(
      `SELECT action_reply, compensation_reply, compensated_at FROM trellis_saga_participation
       WHERE saga_id = $1 AND step = $2 FOR UPDATE`,
      [command.sagaId, command.step],
    )
    const record = rows[0]!
    const reply = (answer: Omit<SagaReply, 'commandId' | 'sagaId' | 'step' | 'kind'>) =>
      publish<SagaReply>({
        type: replyType(command.replyTo),
        key: command.sagaId,
        data: {
          sagaId: command.sagaId,
          step: command.step,
          kind: command.kind,
          commandId: command.commandId,
          ...answer,
        },
      })
    const stored = command.kind === 'action' ? record.action_reply : record.compensation_reply
    if (stored) {
      log.info(
        { sagaId: command.sagaId, step: command.step, kind: command.kind },
        'command seen before; replying from the record',
      )
      await reply({ ok: stored.ok, result: stored.result, reason: stored.reason })
      return
    }
    if (command.kind === 'action' && record.compensated_at) {
      await reply({ ok: false, reason: 'compensated before the action arrived; not performed' })
      return
    }
    let withheld = false
    const context: CommandContext = {
      tx,
      log,
      sagaId: command.sagaId,
      step: command.step,
      attempt: command.attempt,
      publish,
      withholdReply: () => {
        withheld = true
      },
    }
    let answer: { ok: boolean; result?: unknown; reason?: string }
    await tx.query(`SAVEPOINT ${SAVEPOINT}`)
    try {
      const result = await handler(command.payload, context)
      await tx.query(`RELEASE SAVEPOINT ${SAVEPOINT}`)
      answer = { ok: true, result: result ?? null }
    } catch (error) {
      if (!(error instanceof SagaRefusal)) throw error
      await tx.query(
        error.options.keepWrites ? `RELEASE SAVEPOINT ${SAVEPOINT}` : `ROLLBACK TO SAVEPOINT ${SAVEPOINT}`,
      )
      answer = { ok: false, reason: error.message }
    }
    if (command.kind === 'action')
      await tx.query(
        'UPDATE trellis_saga_participation SET action_reply = $3, action_at = now() WHERE saga_id = $1 AND step = $2',
        [command.sagaId, command.step, JSON.stringify(answer)],
      )
    else if (answer.ok)
      // A refused compensation is not recorded: the orchestrator sends it again and it runs again.
      await tx.query(
        'UPDATE trellis_saga_participation SET compensation_reply = $3, compensated_at = now() WHERE saga_id = $1 AND step = $2',
        [command.sagaId, command.step, JSON.stringify(answer)],
      )
    if (withheld) {
      log.warn(
        { sagaId: command.sagaId, step: command.step, kind: command.kind },
        'reply withheld (simulated loss)',
      )
      return
    }
    await reply(answer)
  }
}
