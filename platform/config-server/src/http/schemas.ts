import { Type } from '@trellis/kit'

export const ApplicationName = Type.String({ pattern: '^([a-z][a-z0-9-]{0,30}|\\*)$' })
export const ServiceName = Type.String({ pattern: '^[a-z][a-z0-9-]{0,30}$' })
export const ProfileName = Type.String({ pattern: '^[a-z][a-z0-9-]{0,30}$' })
export const InstanceId = Type.String({ pattern: '^[A-Za-z0-9._-]{1,100}$' })
export const SettingKey = Type.String({ minLength: 1, maxLength: 100 })
export const Version = Type.Integer({ minimum: 0 })

export const LayerName = Type.Union([
  Type.Literal('global'),
  Type.Literal('global-profile'),
  Type.Literal('application'),
  Type.Literal('application-profile'),
  Type.Literal('instance'),
])

export const EffectiveConfig = Type.Object({
  application: Type.String(),
  profile: Type.String(),
  instance: Type.Optional(Type.String()),
  version: Type.Integer(),
  /** Central key → value; secrets read `[redacted]` unless revealed to their service or an admin. */
  values: Type.Record(Type.String(), Type.Unknown()),
  sources: Type.Record(Type.String(), LayerName),
  secrets: Type.Array(Type.String()),
  redacted: Type.Boolean(),
})

export const PublishedSetting = Type.Object(
  {
    schema: Type.Record(Type.String(), Type.Unknown()),
    default: Type.Optional(Type.Unknown()),
    doc: Type.String({ maxLength: 2_000 }),
    secret: Type.Boolean(),
    apply: Type.Union([Type.Literal('live'), Type.Literal('restart')]),
  },
  { additionalProperties: false },
)

export const PublishedSettings = Type.Object({
  application: Type.String(),
  appVersion: Type.String(),
  publishedAt: Type.String(),
  settings: Type.Record(Type.String(), PublishedSetting),
})

export const StoredChange = Type.Object({
  application: Type.String(),
  profile: Type.String(),
  instance: Type.Optional(Type.String()),
  key: Type.String(),
  secret: Type.Boolean(),
  removed: Type.Boolean(),
  value: Type.Optional(Type.Unknown()),
})

export const Revision = Type.Object({
  version: Type.Integer(),
  author: Type.String(),
  message: Type.String(),
  createdAt: Type.String(),
  rollbackTo: Type.Optional(Type.Integer()),
  changes: Type.Array(StoredChange),
})

export const ChangeBody = Type.Object(
  {
    application: ApplicationName,
    profile: Type.Optional(ProfileName),
    instance: Type.Optional(InstanceId),
    key: SettingKey,
    value: Type.Optional(Type.Unknown()),
    remove: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
)

export const Author = Type.String({ minLength: 1, maxLength: 100 })
export const Message = Type.String({ minLength: 1, maxLength: 500 })
