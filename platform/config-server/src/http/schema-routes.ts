import { type AnyRoute, defineRoute, Type } from '@trellis/kit'
import type { ConfigState } from '../config-state.js'
import { ConfigServerErrors } from '../errors.js'
import { principalOf, requireOwner } from './access.js'
import { InstanceId, PublishedSetting, PublishedSettings, ServiceName } from './schemas.js'

const KEY = /^([a-z][a-z0-9-]{0,30}\.)?[A-Za-z][A-Za-z0-9]{0,63}$/

/** What each application declares about its settings: published by its instances, read to validate changes. */
export function schemaRoutes(state: ConfigState): AnyRoute[] {
  return [
    defineRoute({
      method: 'PUT',
      url: '/v1/applications/:application/schema',
      access: 'internal',
      summary: "Publish the schema of an application's settings (its instances do at start)",
      schema: {
        params: Type.Object({ application: ServiceName }),
        body: Type.Object(
          {
            version: Type.String({ maxLength: 64 }),
            instance: InstanceId,
            settings: Type.Record(Type.String(), PublishedSetting, { maxProperties: 1_000 }),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ application: Type.String(), settings: Type.Integer() }) },
      },
      handler: async (request) => {
        const { application } = request.params
        requireOwner(
          principalOf(request, state.authorizer),
          application,
          `publish the settings of ${application}`,
        )
        const { version, instance, settings } = request.body
        const problems: string[] = []
        for (const [key, setting] of Object.entries(settings)) {
          if (!KEY.test(key)) problems.push(`${key}: not a valid key`)
          else
            try {
              state.validator.problem(setting.schema, setting.default)
            } catch (error) {
              problems.push(`${key}: not a usable JSON schema (${(error as Error).message})`)
            }
        }
        if (problems.length) throw ConfigServerErrors.rejected(problems.join('; '))
        await state.store.publish(application, version, instance, settings as never)
        request.log.info(
          { application, version, settings: Object.keys(settings).length },
          'settings published',
        )
        return { application, settings: Object.keys(settings).length }
      },
    }),

    defineRoute({
      method: 'GET',
      url: '/v1/applications',
      access: 'internal',
      summary: 'Applications that published their settings, with the newest version of each profile they run',
      schema: {
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                application: Type.String(),
                appVersion: Type.String(),
                publishedAt: Type.String(),
                settings: Type.Integer(),
                versions: Type.Record(Type.String(), Type.Integer()),
              }),
            ),
          }),
        },
      },
      handler: async () => {
        const published = [...(await state.store.published()).values()]
        const items = await Promise.all(
          published.map(async (p) => ({
            application: p.application,
            appVersion: p.appVersion,
            publishedAt: p.publishedAt,
            settings: Object.keys(p.settings).length,
            versions: Object.fromEntries(
              await Promise.all(
                state.settings.profiles.map(async (profile) => [
                  profile,
                  await state.versionOf(p.application, profile, ''),
                ]),
              ),
            ),
          })),
        )
        return { items }
      },
    }),

    defineRoute({
      method: 'GET',
      url: '/v1/applications/:application/schema',
      access: 'internal',
      summary: 'The settings an application declares: schema, default, doc, secret, when a change applies',
      schema: { params: Type.Object({ application: ServiceName }), response: { 200: PublishedSettings } },
      handler: async (request) => {
        const found = (await state.store.published()).get(request.params.application)
        if (!found) throw ConfigServerErrors.applicationUnknown(request.params.application)
        return found
      },
    }),
  ]
}
