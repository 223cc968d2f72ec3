import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { extname, join, relative } from 'node:path'
import type { FastifyInstance } from 'fastify'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
}

/**
 * Serves the built web console from memory (a few hundred kilobytes), with
 * every unknown path under the UI answered by index.html so that the
 * browser's routes work on reload. Hashed assets are cached for good.
 */
export function serveStaticUi(app: FastifyInstance, dir: string | undefined): boolean {
  if (!dir || !existsSync(join(dir, 'index.html'))) {
    app.get('/', async (_request, reply) =>
      reply
        .type('text/plain; charset=utf-8')
        .send('The console UI is not built: run `npm run build` (the JSON API under /api works without it).'),
    )
    return false
  }
  const files = new Map<string, { type: string; body: Buffer }>()
  const walk = (folder: string) => {
    for (const name of readdirSync(folder)) {
      const path = join(folder, name)
      if (statSync(path).isDirectory()) walk(path)
      else
        files.set(`/${relative(dir, path)}`, {
          type: TYPES[extname(name)] ?? 'application/octet-stream',
          body: readFileSync(path),
        })
    }
  }
  walk(dir)
  const index = files.get('/index.html')!
  app.get('/*', async (request, reply) => {
    const path = request.url.split('?')[0]!
    const file = files.get(path)
    if (file) {
      if (path.startsWith('/assets/')) reply.header('cache-control', 'public, max-age=31536000, immutable')
      return reply.type(file.type).send(file.body)
    }
    return reply.type(index.type).header('cache-control', 'no-cache').send(index.body)
  })
  return true
}
