import { describe, expect, it } from 'vitest'
import { type InstanceSpec, type InstanceStatus, initialStatus } from './instance-spec.js'
import { afterExit, backoffMs, DEFAULT_POLICY, EXIT_CONFIG, type PlanInput, plan } from './plan.js'

const spec: InstanceSpec = {
  key: 'catalog-1',
  kind: 'service',
  service: 'catalog',
  tier: 1,
  launch: { key: 'catalog-1', entry: 'x', env: {}, cwd: '.' },
}
const now = 1_000_000
const input = (
  over: Omit<Partial<PlanInput>, 'status'> & { status?: Partial<InstanceStatus> } = {},
): PlanInput => ({
  desired: true,
  process: undefined,
  exitUnrecorded: false,
  now,
  policy: DEFAULT_POLICY,
  ...over,
  status: { ...initialStatus(spec), ...over.status },
})

describe('plan', () => {
  it('starts a desired instance that has no process', () => {
    expect(plan(input())).toEqual([{ kind: 'start' }])
  })

  it('waits out the backoff before starting again', () => {
    expect(plan(input({ status: { phase: 'backoff', nextStartAt: now + 500 } }))).toEqual([
      { kind: 'wait', untilMs: now + 500 },
    ])
    expect(plan(input({ status: { phase: 'backoff', nextStartAt: now - 1 } }))).toEqual([{ kind: 'start' }])
  })

  it('deregisters and records an exit it has not seen yet', () => {
    const steps = plan(
      input({
        process: { running: false, startedAt: now - 5000, exit: { code: 1, signal: null, at: now } },
        exitUnrecorded: true,
      }),
    )
    expect(steps).toEqual([
      { kind: 'deregister' },
      { kind: 'record-exit', crashed: true, configError: false },
    ])
  })

  it('treats exit code 78 as a configuration error, and an asked-for stop as no crash', () => {
    const exit = { code: EXIT_CONFIG, signal: null, at: now }
    expect(
      plan(input({ process: { running: false, startedAt: now, exit }, exitUnrecorded: true }))[1],
    ).toEqual({ kind: 'record-exit', crashed: true, configError: true })
    expect(
      plan(
        input({
          process: { running: false, startedAt: now, exit },
          exitUnrecorded: true,
          status: { stopRequested: true },
        }),
      )[1],
    ).toEqual({
      kind: 'record-exit',
      crashed: false,
      configError: false,
    })
  })

  it('does not restart a failed instance on its own', () => {
    expect(plan(input({ status: { phase: 'failed' } }))).toEqual([])
  })

  it('stops an instance that failed its liveness probe too often, as unhealthy', () => {
    const steps = plan(
      input({
        process: { running: true, startedAt: now - 10_000, port: 4000 },
        status: { phase: 'running', liveFailures: 3 },
      }),
    )
    expect(steps).toEqual([
      { kind: 'stop', reason: 'liveness probe failed 3 times in a row', unhealthy: true },
    ])
  })

  it('stops an instance that never reported its port', () => {
    const steps = plan(
      input({ process: { running: true, startedAt: now - DEFAULT_POLICY.startTimeoutMs - 1 } }),
    )
    expect(steps[0]).toMatchObject({ kind: 'stop', unhealthy: true })
  })

  it('stops an instance that is no longer desired, once', () => {
    expect(plan(input({ desired: false, process: { running: true, startedAt: now, port: 1 } }))).toEqual([
      { kind: 'stop', reason: 'no longer desired', unhealthy: false },
    ])
    expect(
      plan(
        input({
          desired: false,
          process: { running: true, startedAt: now, port: 1 },
          status: { phase: 'stopping' },
        }),
      ),
    ).toEqual([])
  })

  it('leaves a healthy running instance alone', () => {
    expect(
      plan(
        input({
          process: { running: true, startedAt: now - 1000, port: 4000 },
          status: { phase: 'running', live: true, ready: true },
        }),
      ),
    ).toEqual([])
  })
})

describe('restart policy', () => {
  it('doubles the backoff with each recent crash, up to the cap', () => {
    expect([0, 1, 2, 3, 4, 10].map((n) => backoffMs(n, DEFAULT_POLICY))).toEqual([
      0, 500, 1000, 2000, 4000, 30_000,
    ])
  })

  it('counts crashes within the window, and calls five of them a crash loop', () => {
    let status = initialStatus(spec)
    for (let i = 0; i < 5; i++)
      status = afterExit(status, { code: 1, signal: null, at: now + i * 1000 }, true, false, DEFAULT_POLICY)
    expect(status.phase).toBe('crash-loop')
    expect(status.restarts).toBe(5)
    expect(status.nextStartAt).toBe(now + 4000 + 8000)
  })

  it('forgets crashes older than the window', () => {
    let status = initialStatus(spec)
    status = afterExit(status, { code: 1, signal: null, at: now }, true, false, DEFAULT_POLICY)
    status = afterExit(
      status,
      { code: 1, signal: null, at: now + DEFAULT_POLICY.crashWindowMs + 1 },
      true,
      false,
      DEFAULT_POLICY,
    )
    expect(status.crashes).toHaveLength(1)
    expect(status.phase).toBe('backoff')
  })

  it('restarts at once after a requested stop, and marks a config error failed', () => {
    const stopped = afterExit(
      initialStatus(spec),
      { code: 0, signal: null, at: now },
      false,
      false,
      DEFAULT_POLICY,
    )
    expect(stopped).toMatchObject({ phase: 'stopped', nextStartAt: now, restarts: 0 })
    const failed = afterExit(
      initialStatus(spec),
      { code: 78, signal: null, at: now },
      true,
      true,
      DEFAULT_POLICY,
    )
    expect(failed.phase).toBe('failed')
  })
})
