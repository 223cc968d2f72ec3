import type { ServerResponse } from 'node:http'
import { type AnyRoute, defineRoute, Type } from '@trellis/kit'
import { describePrincipal } from '../auth/tokens.js'
import type { ConfigState } from '../config-state.js'
import { redactValues } from '../domain/effective.js'
import { ConfigServerErrors } from '../errors.js'
import { principalOf, requireAdmin } from './access.js'
import { ApplicationName, EffectiveConfig, InstanceId, ProfileName, ServiceName, Version } from './schemas.js'

/**
 * Reading configuration: an instance's effective configuration (optionally
 * as a blocking query that answers when it changes: the watch every
 * instance keeps open), and which instances run which version.
 */
export function configRoutes(state: ConfigState): AnyRoute[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/v1/applications/:application/config',
      access: 'internal',
      summary:
        "An instance's effective configuration; with `after` and `wait`, answers when it differs from `after`",
      schema: {
        params: Type.Object({ application: ApplicationName }),
        querystring: Type.Object(
          {
            profile: Type.Optional(ProfileName),
            instance: Type.Optional(InstanceId),
            after: Type.Optional(Version),
            wait: Type.Optional(Type.Integer({ minimum: 0, maximum: 600_000 })),
            reveal: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        response: { 200: EffectiveConfig },
      },
      handler: async (request, reply) => {
        const { application } = request.params
        const { profile = 'default', instance = '', after, wait, reveal = false } = request.query
        const principal = principalOf(request, state.authorizer)
        if (principal.kind === 'service' && principal.service !== application)
          throw ConfigServerErrors.forbidden(
            describePrincipal(principal),
            `read the configuration of ${application}`,
          )
        if (reveal) requireAdmin(principal, 'reveal secrets')
        state.checkProfile(profile)
        const own = principal.kind === 'service'
        const done =
          own && instance ? state.tracker.begin(application, instance, profile, after ?? null) : undefined
        try {
          if (after !== undefined && wait !== undefined && wait > 0) {
            const signal = AbortSignal.any([state.stopping, closed(reply.raw)])
            const deadline = Date.now() + Math.min(wait, state.settings.maxWaitMs)
            while (!signal.aborted && Date.now() < deadline) {
              if ((await state.versionOf(application, profile, instance)) !== after) break
              await state.feed.next(deadline - Date.now(), signal)
            }
          }
          const effective = await state.effective(application, profile, instance)
          done?.(effective.version)
          if (reveal && effective.secrets.length)
            request.log.info(
              { application, profile, instance, keys: effective.secrets },
              'secrets revealed to an admin',
            )
          const clear = own || reveal
          return {
            application,
            profile,
            ...(instance ? { instance } : {}),
            version: effective.version,
            values: redactValues(effective, clear),
            sources: effective.sources,
            secrets: effective.secrets,
            redacted: !clear && effective.secrets.length > 0,
          }
        } catch (error) {
          done?.(after ?? 0)
          throw error
        }
      },
    }),

    defineRoute({
      method: 'GET',
      url: '/v1/applications/:application/instances',
      access: 'internal',
      summary: 'Which instances watch this application, the version each runs, and whether it lags',
      schema: {
        params: Type.Object({ application: ServiceName }),
        response: {
          200: Type.Object({
            application: Type.String(),
            instances: Type.Array(
              Type.Object({
                instance: Type.String(),
                profile: Type.String(),
                version: Type.Union([Type.Integer(), Type.Null()]),
                latest: Type.Integer(),
                lagging: Type.Boolean(),
                watching: Type.Boolean(),
                lastSeenAt: Type.String(),
              }),
            ),
          }),
        },
      },
      handler: async (request) => {
        const { application } = request.params
        const instances = await Promise.all(
          state.tracker.list(application).map(async (i) => {
            const latest = await state.versionOf(application, i.profile, i.instance)
            return { ...i, latest, lagging: i.version !== latest }
          }),
        )
        return { application, instances }
      },
    }),
  ]
}

/** Aborts when the response is done or its connection goes away (the watcher stopped waiting). */
function closed(raw: ServerResponse): AbortSignal {
  const controller = new AbortController()
  raw.once('close', () => controller.abort())
  return controller.signal
}
