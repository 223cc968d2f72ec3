import { type AnyRoute, type Database, defineRoute, ownerScope, Type } from '@trellis/kit'

export function notificationRoutes(db: Database): AnyRoute[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/notifications',
      summary: 'Your notifications, newest first (an admin: everyone’s)',
      auth: 'signed-in',
      schema: {
        querystring: Type.Object(
          {
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
            ref: Type.Optional(Type.String({ maxLength: 200 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                recipient: Type.String(),
                kind: Type.String(),
                subject: Type.String(),
                ref: Type.Union([Type.String(), Type.Null()]),
                createdAt: Type.String(),
              }),
            ),
          }),
        },
      },
      handler: async (request) => {
        const owner = ownerScope(request.identity, 'customer')
        const { rows } = await db.query<{
          recipient: string
          kind: string
          subject: string
          ref: string | null
          created_at: Date
        }>(
          `SELECT recipient, kind, subject, ref, created_at FROM notifications
           WHERE ($1::text IS NULL OR recipient = $1) AND ($2::text IS NULL OR ref = $2) ORDER BY id DESC LIMIT $3`,
          [owner, request.query.ref ?? null, request.query.limit ?? 50],
        )
        return {
          items: rows.map((r) => ({
            recipient: r.recipient,
            kind: r.kind,
            subject: r.subject,
            ref: r.ref,
            createdAt: r.created_at.toISOString(),
          })),
        }
      },
    }),
  ]
}
