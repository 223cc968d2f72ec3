import { describe, expect, it } from 'vitest'
import { defineSaga, type SagaInstance, type SagaReply } from './saga-definition.js'
import { compensationRetryMs, decide, nextCompensation, type SagaInput } from './saga-machine.js'

const saga = defineSaga<{ n: number }>({
  name: 'place-order',
  timeoutMs: 1_000,
  steps: [
    {
      name: 'reserve',
      participant: 'inventory',
      action: 'reserve',
      compensation: 'release',
      payload: (d) => d,
    },
    {
      name: 'authorize',
      participant: 'payment',
      action: 'authorize',
      compensation: 'void',
      payload: (d) => d,
    },
    { name: 'notify', participant: 'mail', action: 'notify', payload: (d) => d },
    { name: 'ship', participant: 'shipping', action: 'ship', compensation: 'cancel', payload: (d) => d },
  ],
}) as never

type State = Pick<SagaInstance, 'status' | 'step' | 'attempt' | 'failure' | 'results' | 'commandId'>
const running = (step: number): State => ({
  status: 'running',
  step,
  attempt: 1,
  failure: null,
  results: {},
  commandId: 'c1',
})
const reply = (step: string, ok: boolean, extra: Partial<SagaReply> = {}): SagaInput => ({
  kind: 'reply',
  reply: { sagaId: 's', step, kind: 'action', commandId: 'c1', ok, ...extra },
})

describe('saga state machine', () => {
  it('starts with the first action and its timeout', () => {
    const d = decide(saga, running(0), { kind: 'start' })
    expect(d.send).toEqual({ step: 0, kind: 'action' })
    expect(d.deadlineMs).toBe(1_000)
  })

  it('moves to the next action on success, keeping the result', () => {
    const d = decide(saga, running(0), reply('reserve', true, { result: { id: 7 } }))
    expect(d).toMatchObject({ status: 'running', step: 1, send: { step: 1, kind: 'action' } })
    expect(d.results).toEqual({ reserve: { id: 7 } })
  })

  it('completes after the last action', () => {
    const d = decide(saga, running(3), reply('ship', true))
    expect(d).toMatchObject({ status: 'completed', finished: 'completed', deadlineMs: null })
    expect(d.send).toBeUndefined()
  })

  it('a refusal at the first step ends compensated with nothing to undo', () => {
    const d = decide(saga, running(0), reply('reserve', false, { reason: 'out of stock' }))
    expect(d).toMatchObject({ status: 'compensated', finished: 'compensated', compensationStarted: true })
    expect(d.failure).toEqual({ step: 'reserve', reason: 'out of stock', kind: 'refused' })
  })

  it('a refusal compensates the earlier steps, not the refusing one', () => {
    const d = decide(saga, running(1), reply('authorize', false, { reason: 'declined' }))
    expect(d).toMatchObject({ status: 'compensating', step: 0, send: { step: 0, kind: 'compensation' } })
  })

  it('a refusal skips earlier steps that have no compensation', () => {
    const d = decide(saga, running(3), reply('ship', false))
    expect(d.send).toEqual({ step: 1, kind: 'compensation' })
  })

  it('a timeout compensates the late step too (it may have happened)', () => {
    const d = decide(saga, running(1), { kind: 'timeout' })
    expect(d.failure).toMatchObject({ step: 'authorize', kind: 'timeout' })
    expect(d.send).toEqual({ step: 1, kind: 'compensation' })
  })

  it('walks compensations down in reverse and ends compensated', () => {
    const compensating: State = {
      ...running(1),
      status: 'compensating',
      failure: { step: 'ship', reason: 'x', kind: 'refused' },
    }
    const first = decide(saga, compensating, {
      kind: 'reply',
      reply: { sagaId: 's', step: 'authorize', kind: 'compensation', commandId: 'c1', ok: true },
    })
    expect(first.send).toEqual({ step: 0, kind: 'compensation' })
    const last = decide(
      saga,
      { ...compensating, step: 0 },
      {
        kind: 'reply',
        reply: { sagaId: 's', step: 'reserve', kind: 'compensation', commandId: 'c1', ok: true },
      },
    )
    expect(last).toMatchObject({ status: 'compensated', finished: 'compensated' })
    expect(last.failure).toEqual(compensating.failure)
  })

  it('sends a refused or unanswered compensation again, with growing waits', () => {
    const compensating: State = { ...running(0), status: 'compensating' }
    const refused = decide(saga, compensating, {
      kind: 'reply',
      reply: { sagaId: 's', step: 'reserve', kind: 'compensation', commandId: 'c1', ok: false },
    })
    expect(refused).toMatchObject({
      status: 'compensating',
      step: 0,
      attempt: 2,
      send: { step: 0, kind: 'compensation' },
    })
    const late = decide(saga, { ...compensating, attempt: 2 }, { kind: 'timeout' })
    expect(late).toMatchObject({ attempt: 3, send: { step: 0, kind: 'compensation' } })
    expect(compensationRetryMs(saga, 3)).toBeGreaterThan(compensationRetryMs(saga, 2))
    expect(compensationRetryMs(saga, 50)).toBe(30_000)
  })

  it('ignores stale replies, replies after the end, and timeouts with nothing awaited', () => {
    const stale: SagaInput = {
      kind: 'reply',
      reply: { sagaId: 's', step: 'authorize', kind: 'action', commandId: 'old', ok: true },
    }
    expect(decide(saga, running(1), stale).ignored).toBeTruthy()
    expect(decide(saga, { ...running(3), status: 'completed' }, reply('ship', true)).ignored).toBeTruthy()
    expect(decide(saga, { ...running(0), status: 'compensated' }, { kind: 'timeout' }).ignored).toBeTruthy()
  })

  it('a cancel compensates the step in flight and those before', () => {
    const d = decide(saga, running(3), { kind: 'cancel', reason: 'customer asked' })
    expect(d.failure).toEqual({ step: 'ship', reason: 'customer asked', kind: 'cancelled' })
    expect(d.send).toEqual({ step: 3, kind: 'compensation' })
  })

  it('a cancel after completion compensates from the last step', () => {
    const d = decide(saga, { ...running(3), status: 'completed' }, { kind: 'cancel', reason: 'r' })
    expect(d).toMatchObject({ status: 'compensating', step: 3 })
    expect(
      decide(saga, { ...running(0), status: 'compensating' }, { kind: 'cancel', reason: 'r' }).ignored,
    ).toBeTruthy()
  })

  it('finds the next step to compensate', () => {
    expect(nextCompensation(saga, 3)).toBe(3)
    expect(nextCompensation(saga, 2)).toBe(1)
    expect(nextCompensation(saga, -1)).toBe(-1)
  })

  it('refuses bad declarations when the module loads', () => {
    expect(() => defineSaga({ name: 'x', steps: [] })).toThrow(/no steps/)
    const step = { name: 'a', participant: 'p', action: 'do', payload: () => null }
    expect(() => defineSaga({ name: 'x', steps: [step, step] })).toThrow(/twice/)
    expect(() => defineSaga({ name: 'x', steps: [{ ...step, action: 'Do It' }] })).toThrow(/not valid/)
  })
})
