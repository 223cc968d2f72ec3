import { type AnyRoute, defineRoute, Type } from '@trellis/kit'
import type { ConfigState } from '../config-state.js'
import { diffEffective } from '../domain/effective.js'
import { ApplicationName, InstanceId, LayerName, ProfileName, Version } from './schemas.js'

/** What changed in an instance's effective configuration between two versions (secrets redacted). */
export function diffRoutes(state: ConfigState): AnyRoute[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/v1/applications/:application/diff',
      access: 'internal',
      summary: "Differences in an application's effective configuration between two versions",
      schema: {
        params: Type.Object({ application: ApplicationName }),
        querystring: Type.Object(
          {
            from: Version,
            to: Type.Optional(Version),
            profile: Type.Optional(ProfileName),
            instance: Type.Optional(InstanceId),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            application: Type.String(),
            profile: Type.String(),
            instance: Type.Optional(Type.String()),
            from: Type.Integer(),
            to: Type.Integer(),
            changes: Type.Array(
              Type.Object({
                key: Type.String(),
                before: Type.Optional(Type.Unknown()),
                after: Type.Optional(Type.Unknown()),
                beforeSource: Type.Optional(LayerName),
                afterSource: Type.Optional(LayerName),
                secret: Type.Boolean(),
              }),
            ),
          }),
        },
      },
      handler: async (request) => {
        const { application } = request.params
        const { from, profile = 'default', instance = '' } = request.query
        state.checkProfile(profile)
        const latest = await state.checkVersion(from, request.query.to)
        const to = request.query.to ?? latest
        const [before, after] = await Promise.all([
          state.effective(application, profile, instance, from),
          state.effective(application, profile, instance, to),
        ])
        return {
          application,
          profile,
          ...(instance ? { instance } : {}),
          from,
          to,
          changes: diffEffective(before, after),
        }
      },
    }),
  ]
}
