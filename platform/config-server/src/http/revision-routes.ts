import { type AnyRoute, defineRoute, replyIdempotently, Type } from '@trellis/kit'
import type { ConfigState } from '../config-state.js'
import { REDACTED } from '../domain/effective.js'
import { planRollback } from '../domain/rollback.js'
import type { ChangeProblem, ChangeRequest } from '../domain/validator.js'
import { ConfigServerErrors } from '../errors.js'
import type { Revision as StoredRevision } from '../store/config-store.js'
import { authorOf, principalOf, requireAdmin } from './access.js'
import { ApplicationName, Author, ChangeBody, Message, Revision, Version } from './schemas.js'

/** Writing configuration and reading its history: every change is a numbered revision with author, time and message. */
export function revisionRoutes(state: ConfigState): AnyRoute[] {
  return [
    defineRoute({
      method: 'POST',
      url: '/v1/revisions',
      access: 'internal',
      summary:
        'Change properties: one revision, checked against the published schemas first (accepts Idempotency-Key)',
      schema: {
        body: Type.Object(
          {
            author: Type.Optional(Author),
            message: Message,
            changes: Type.Array(ChangeBody, { minItems: 1, maxItems: 200 }),
          },
          { additionalProperties: false },
        ),
        response: { 201: Revision },
      },
      handler: async (request, reply) => {
        const principal = principalOf(request, state.authorizer)
        requireAdmin(principal, 'change the configuration')
        const { changes, message } = request.body
        const revision = await commit(state, changes, {
          author: authorOf(principal, request.body.author),
          message,
        })
        const body = await replyIdempotently(request, reply, state.db, async (tx) => ({
          status: 201,
          body: redactRevision(await state.store.write(tx, revision.meta, revision.changes)),
        }))
        state.feed.notify(body.version)
        request.log.info(
          { version: body.version, author: body.author, keys: body.changes.map((c) => c.key) },
          'configuration changed',
        )
        return body
      },
    }),

    defineRoute({
      method: 'GET',
      url: '/v1/revisions',
      access: 'internal',
      summary: 'History, newest first; with `application`, the revisions that touch it or every application',
      schema: {
        querystring: Type.Object(
          {
            application: Type.Optional(ApplicationName),
            before: Type.Optional(Version),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ items: Type.Array(Revision) }) },
      },
      handler: async (request) => {
        const { application, before, limit = 50 } = request.query
        const items = await state.store.revisions({
          ...(application ? { application } : {}),
          ...(before === undefined ? {} : { before }),
          limit,
        })
        return { items: items.map(redactRevision) }
      },
    }),

    defineRoute({
      method: 'GET',
      url: '/v1/revisions/:version',
      access: 'internal',
      summary: 'One revision with its changes',
      schema: { params: Type.Object({ version: Version }), response: { 200: Revision } },
      handler: async (request) => {
        const found = await state.store.revision(request.params.version)
        if (!found)
          throw ConfigServerErrors.versionUnknown(request.params.version, await state.store.latest())
        return redactRevision(found)
      },
    }),

    defineRoute({
      method: 'POST',
      url: '/v1/applications/:application/rollback',
      access: 'internal',
      summary:
        "Restore an application's properties (all profiles, or one) as they were at a version, as a new revision",
      schema: {
        params: Type.Object({ application: ApplicationName }),
        body: Type.Object(
          {
            to: Version,
            profile: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9-]{0,30}$' })),
            author: Type.Optional(Author),
            message: Type.Optional(Message),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ changed: Type.Literal(false), version: Type.Integer() }),
          201: Type.Intersect([Type.Object({ changed: Type.Literal(true) }), Revision]),
        },
      },
      handler: async (request, reply) => {
        const principal = principalOf(request, state.authorizer)
        requireAdmin(principal, 'roll the configuration back')
        const { application } = request.params
        const { to, profile } = request.body
        if (profile) state.checkProfile(profile)
        const latest = await state.checkVersion(to)
        const plan = planRollback(
          await state.store.propertiesOf(application, profile, to),
          await state.store.propertiesOf(application, profile),
        )
        if (plan.length === 0) return reply.code(200).send({ changed: false as const, version: latest })
        const revision = await commit(state, plan, {
          author: authorOf(principal, request.body.author),
          message:
            request.body.message ??
            `roll ${application === '*' ? 'global' : application}${profile ? ` (${profile})` : ''} back to version ${to}`,
          rollbackTo: to,
        })
        const body = await replyIdempotently(request, reply, state.db, async (tx) => ({
          status: 201,
          body: {
            changed: true as const,
            ...redactRevision(await state.store.write(tx, revision.meta, revision.changes)),
          },
        }))
        state.feed.notify(body.version)
        request.log.info(
          { version: body.version, application, to, keys: body.changes.map((c) => c.key) },
          'configuration rolled back',
        )
        return body
      },
    }),
  ]
}

/** Validates the changes against the published schemas; refuses them all, with every reason, if any does not fit. */
async function commit(
  state: ConfigState,
  requests: ChangeRequest[],
  meta: { author: string; message: string; rollbackTo?: number },
) {
  const { changes, problems } = state.validator.check(requests, await state.store.published())
  if (problems.length) throw ConfigServerErrors.rejected(summarize(problems)).with({ errors: problems })
  return { meta, changes }
}

function summarize(problems: ChangeProblem[]): string {
  return problems
    .map(
      (p) =>
        `${p.application === '*' ? 'global' : p.application}${p.profile === 'default' ? '' : ` (${p.profile})`}${p.instance ? ` [${p.instance}]` : ''} ${p.key}: ${p.reason}`,
    )
    .join('; ')
}

function redactRevision(revision: StoredRevision) {
  return {
    ...revision,
    changes: revision.changes.map(({ instance, ...c }) => ({
      ...c,
      ...(instance ? { instance } : {}),
      ...(c.removed ? {} : { value: c.secret ? REDACTED : c.value }),
    })),
  }
}
