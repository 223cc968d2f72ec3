import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { REPO_ROOT } from '@trellis/testing'
import { describe, expect, it } from 'vitest'

// Shared nothing: a service reaches other services only through their HTTP
// API or their events, never through their code. This test keeps it so.
const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (name === 'node_modules' || name === 'dist') continue
    if (statSync(path).isDirectory()) sources(path, out)
    else if (/\.(ts|tsx|mts|js|mjs)$/.test(name)) out.push(path)
  }
  return out
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  return [...text.matchAll(IMPORT)].map((m) => (m[1] ?? m[2])!)
}

const services = readdirSync(join(REPO_ROOT, 'services')).filter((n) =>
  statSync(join(REPO_ROOT, 'services', n)).isDirectory(),
)

describe('service boundaries', () => {
  it.each(services)(
    '%s imports only @trellis/kit (and @trellis/testing in tests) and its own files',
    (service) => {
      const root = join(REPO_ROOT, 'services', service)
      const violations: string[] = []
      for (const file of sources(root)) {
        const isTest = /\/test\/|\.test\.ts$/.test(file)
        for (const spec of imports(file)) {
          if (spec.startsWith('.')) {
            const target = resolve(dirname(file), spec)
            if (!target.startsWith(`${root}/`)) violations.push(`${relative(REPO_ROOT, file)} → ${spec}`)
          } else if (spec.startsWith('@trellis/')) {
            const allowed =
              spec === '@trellis/kit' ||
              (isTest && (spec === '@trellis/testing' || spec === '@trellis/control'))
            if (!allowed) violations.push(`${relative(REPO_ROOT, file)} → ${spec}`)
          }
        }
      }
      expect(violations).toEqual([])
    },
  )

  it.each(services)('%s declares no other Trellis package than the kit', (service) => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'services', service, 'package.json'), 'utf8'))
    const trellis = Object.keys({ ...pkg.dependencies }).filter((d) => d.startsWith('@trellis/'))
    expect(trellis).toEqual(['@trellis/kit'])
  })

  it('keeps the kit free of the platform processes and of services', () => {
    const bad = sources(join(REPO_ROOT, 'platform/kit/src')).flatMap((file) =>
      imports(file)
        .filter((spec) => spec.startsWith('@trellis/') || spec.includes('/services/'))
        .map((spec) => `${relative(REPO_ROOT, file)} → ${spec}`),
    )
    expect(bad).toEqual([])
  })

  it('keeps the platform free of service code', () => {
    const bad = ['registry', 'gateway', 'config-server', 'control'].flatMap((pkg) =>
      sources(join(REPO_ROOT, 'platform', pkg, 'src')).flatMap((file) =>
        imports(file)
          .filter((spec) => services.some((s) => spec === `@trellis/${s}`) || spec.includes('services/'))
          .map((spec) => `${relative(REPO_ROOT, file)} → ${spec}`),
      ),
    )
    expect(bad).toEqual([])
  })
})
