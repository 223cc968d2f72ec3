// Transpiles every workspace's src/ to dist/ with esbuild (type checking is
// `npm run typecheck`, a separate step). One esbuild call for the whole repo
// takes well under a second, so `npm start` can afford to run it every time.
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const quiet = process.argv.includes('--quiet')

function walk(dir, out = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) walk(path, out)
    else if (/\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts'))
      out.push(path)
  }
  return out
}

const { workspaces } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const packages = workspaces.flatMap((pattern) => {
  if (!pattern.endsWith('/*')) return [join(root, pattern)]
  const parent = join(root, pattern.slice(0, -2))
  return existsSync(parent) ? readdirSync(parent).map((name) => join(parent, name)) : []
})

const started = performance.now()
let files = 0
await Promise.all(
  packages
    .filter((pkg) => existsSync(join(pkg, 'src')) && statSync(join(pkg, 'src')).isDirectory())
    .map(async (pkg) => {
      const sources = walk(join(pkg, 'src'))
      files += sources.length
      const outdir = join(pkg, 'dist')
      await build({
        entryPoints: sources,
        outdir,
        outbase: join(pkg, 'src'),
        format: 'esm',
        platform: 'node',
        target: 'node20',
        sourcemap: 'linked',
        logLevel: 'warning',
      })
      // Remove outputs whose source is gone, so a deleted module cannot linger.
      const expected = new Set(sources.map((s) => relative(join(pkg, 'src'), s).replace(/\.tsx?$/, '')))
      if (existsSync(outdir)) {
        for (const out of listJs(outdir)) {
          const key = relative(outdir, out).replace(/\.js(\.map)?$/, '')
          if (!expected.has(key)) rmSync(out)
        }
      }
    }),
)

function listJs(dir, out = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) listJs(path, out)
    else if (/\.js(\.map)?$/.test(entry.name)) out.push(path)
  }
  return out
}

if (!quiet) console.log(`built ${files} files in ${Math.round(performance.now() - started)} ms`)
