import { describe, expect, it } from 'vitest'
import { type Fault, faultFor, injectedError } from './fault.js'

describe('fault matching', () => {
  const faults: Fault[] = [
    { route: 'GET /stock/:sku', kind: 'slow', delayMs: 100 },
    { route: '*', kind: 'fail', probability: 0.5 },
  ]

  it('takes the first fault whose route matches, by method and template', () => {
    expect(faultFor(faults, 'GET /stock/:sku', () => 0.9)?.kind).toBe('slow')
    expect(faultFor(faults, 'PUT /stock/:sku', () => 0.1)?.kind).toBe('fail')
  })

  it('applies a fault to its share of requests only', () => {
    expect(faultFor(faults, 'PUT /stock/:sku', () => 0.7)).toBeUndefined()
  })

  it('fails with the status asked for, 503 by default', () => {
    expect(injectedError({ route: '*', kind: 'fail' }, 'GET /x')).toMatchObject({
      code: 'TRELLIS_FAULT_INJECTED',
      status: 503,
    })
    expect(injectedError({ route: '*', kind: 'fail', status: 500 }, 'GET /x').status).toBe(500)
  })
})
