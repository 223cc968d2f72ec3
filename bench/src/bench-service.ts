// The upstream of bench:gateway: a Trellis service with a small public JSON
// route, a route for signed-in callers, and (standing in for identity) the
// JWKS that the bench's access token verifies against.
import { defineRoute, defineService, main, Type } from '@trellis/kit'

const Answer = Type.Object({ ok: Type.Boolean(), caller: Type.String() })

await main(
  defineService({
    name: 'bench',
    routes: () => [
      defineRoute({
        method: 'GET',
        url: '/ping',
        summary: 'A small public JSON answer',
        auth: 'public',
        schema: { response: { 200: Answer } },
        handler: async () => ({ ok: true, caller: 'anonymous' }),
      }),
      defineRoute({
        method: 'GET',
        url: '/me',
        summary: 'The same, for a signed-in caller',
        auth: 'signed-in',
        schema: { response: { 200: Answer } },
        handler: async (request) => ({ ok: true, caller: request.identity!.subject }),
      }),
      defineRoute({
        method: 'GET',
        url: '/.well-known/jwks.json',
        summary: 'The access token keys (the bench plays identity)',
        auth: 'public',
        schema: { response: { 200: Type.Object({ keys: Type.Array(Type.Unknown()) }) } },
        handler: async () => JSON.parse(process.env['BENCH_JWKS'] ?? '{"keys":[]}'),
      }),
    ],
  }),
)
