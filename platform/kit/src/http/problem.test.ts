import { describe, expect, it } from 'vitest'
import { defineError } from '../errors/define-error.js'
import { toProblem } from './problem.js'

describe('problems', () => {
  it('keeps a Trellis error whole, with a stable type and title derived from the code', () => {
    const notFound = defineError('TRELLIS_TEST_WIDGET_NOT_FOUND', 404, 'widget %s not found')
    const problem = toProblem(notFound('w-1').with({ widget: 'w-1' }), 'urn:x', 'req-1')
    expect(problem).toEqual({
      type: 'urn:trellis:problem:TRELLIS_TEST_WIDGET_NOT_FOUND',
      title: 'Test widget not found',
      status: 404,
      detail: 'widget w-1 not found',
      code: 'TRELLIS_TEST_WIDGET_NOT_FOUND',
      retryable: false,
      widget: 'w-1',
      instance: 'urn:x',
      requestId: 'req-1',
    })
  })

  it('turns an unknown error into a bare 500 that leaks nothing', () => {
    const problem = toProblem(new Error('password=hunter2 at /srv/app.js:12'))
    expect(problem.status).toBe(500)
    expect(problem.code).toBe('TRELLIS_INTERNAL')
    expect(JSON.stringify(problem)).not.toMatch(/hunter2|app\.js/)
  })

  it('calls a database outage a retryable 503, not a 500', () => {
    for (const error of [
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
      Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' }),
      new Error('timeout exceeded when trying to connect'),
    ]) {
      expect(toProblem(error)).toMatchObject({
        status: 503,
        code: 'TRELLIS_DATABASE_UNAVAILABLE',
        retryable: true,
      })
    }
  })

  it('lists schema violations by location', () => {
    const error = Object.assign(new Error('validation'), {
      statusCode: 400,
      validation: [{ instancePath: '/name', message: 'must NOT have fewer than 1 characters' }],
      validationContext: 'body',
    })
    const problem = toProblem(error)
    expect(problem.status).toBe(400)
    expect(problem.errors).toEqual([
      { in: 'body', path: '/name', message: 'must NOT have fewer than 1 characters' },
    ])
  })

  it('maps framework 4xx errors and strips control characters from their message', () => {
    expect(
      toProblem(Object.assign(new Error('too big'), { statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' }))
        .status,
    ).toBe(413)
    expect(
      toProblem(
        Object.assign(new Error("Unsupported Media Type: 'text/evil'"), {
          statusCode: 415,
          code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE',
        }),
      ).detail,
    ).toContain('text/evil')
    expect(toProblem(Object.assign(new Error('bad\u0000json\nhere'), { statusCode: 400 })).detail).toBe(
      'the request could not be read: bad json here',
    )
  })

  it('refuses a code defined twice or a malformed code', () => {
    defineError('TRELLIS_TEST_ONCE', 400, 'once')
    expect(() => defineError('TRELLIS_TEST_ONCE', 400, 'again')).toThrow(/defined twice/)
    expect(() => defineError('NOT_TRELLIS', 400, 'x')).toThrow(/does not match/)
    expect(() => defineError('TRELLIS_TEST_OK', 200, 'x')).toThrow(/use 4xx or 5xx/)
  })
})

describe('values the database refuses', () => {
  it('calls a data exception the client sent a 400, without the database message', () => {
    const nul = Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), {
      code: '22021',
      severity: 'ERROR',
    })
    expect(toProblem(nul)).toMatchObject({ status: 400, code: 'TRELLIS_REQUEST_VALUE_REFUSED' })
    expect(JSON.stringify(toProblem(nul))).not.toContain('UTF8')
    const check = Object.assign(new Error('violates check constraint'), { code: '23514', severity: 'ERROR' })
    expect(toProblem(check).status).toBe(400)
  })
})
