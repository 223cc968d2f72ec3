import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { errorCatalogue } from '@trellis/kit'
import { REPO_ROOT } from '@trellis/testing'
import { describe, expect, it } from 'vitest'

// Importing a package defines its error catalogue.
await import('@trellis/kit/platform')
await import('@trellis/registry')
await import('@trellis/gateway')
await import('@trellis/config-server')
await import('@trellis/control')
await import('@trellis/console')
await import('../../services/catalog/src/errors.js')
await import('../../services/inventory/src/errors.js')
await import('../../services/identity/src/errors.js')
await import('../../services/storefront/src/errors.js')
await import('../../services/order/src/errors.js')
await import('../../services/payment/src/errors.js')
await import('../../services/shipping/src/errors.js')
await import('../../services/cart/src/errors.js')

describe('error catalogue', () => {
  const docs = readFileSync(join(REPO_ROOT, 'docs/errors.md'), 'utf8')
  const documented = new Map(
    [...docs.matchAll(/^\|\s*`(TRELLIS_[A-Z0-9_]+)`\s*\|\s*(\d{3})\s*\|/gm)].map((m) => [
      m[1]!,
      Number(m[2]),
    ]),
  )

  it('documents every code with its status in docs/errors.md', () => {
    const missing = errorCatalogue()
      .filter((e) => !e.code.startsWith('TRELLIS_TEST_'))
      .filter((e) => documented.get(e.code) !== e.status)
      .map((e) => `${e.code} (${e.status})`)
    expect(missing).toEqual([])
  })

  it('documents no code that no longer exists (retired codes move to the retired list)', () => {
    const defined = new Set(errorCatalogue().map((e) => e.code))
    expect([...documented.keys()].filter((code) => !defined.has(code))).toEqual([])
  })
})
