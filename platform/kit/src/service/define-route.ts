import type { Static, TSchema } from '@sinclair/typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { AuthPolicy } from '../auth/identity.js'

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

export interface RouteSchemas {
  params?: TSchema
  querystring?: TSchema
  body?: TSchema
  headers?: TSchema
  /** Response schemas by status; they also strip any field a handler returns that is not declared. */
  response: Record<number, TSchema>
}

type StaticOr<T, Otherwise> = T extends TSchema ? Static<T> : Otherwise

/** A Fastify request whose params, query and body are typed by the route's schemas. */
export type RouteRequest<S extends RouteSchemas> = Omit<FastifyRequest, 'params' | 'query' | 'body'> & {
  params: StaticOr<S['params'], Record<string, never>>
  query: StaticOr<S['querystring'], Record<string, never>>
  body: StaticOr<S['body'], undefined>
}

type ResponseOf<S extends RouteSchemas> = {
  [K in keyof S['response']]: S['response'][K] extends TSchema ? Static<S['response'][K]> : never
}[keyof S['response']]

export interface RouteDefinition<S extends RouteSchemas = RouteSchemas> {
  method: HttpMethod
  url: string
  summary: string
  /**
   * `public`: the gateway may forward it (authorisation is the gateway's and
   * the handler's business); `internal`: only other services reach it,
   * never through the gateway. Public by default.
   */
  access?: 'public' | 'internal'
  /**
   * Who may call it (see `AuthPolicy`): `'public'`, `'signed-in'`, or
   * `{ roles, scopes }`. The gateway checks it before forwarding and the kit
   * checks it again in the service. A public route that declares nothing
   * requires a signed-in caller; an internal route that declares nothing is
   * open to other services (service identity is not there yet).
   */
  auth?: AuthPolicy
  tags?: string[]
  schema: S
  handler: (request: RouteRequest<S>, reply: FastifyReply) => Promise<ResponseOf<S>>
}

// biome-ignore lint/suspicious/noExplicitAny: a list of routes holds routes of different schemas
export type AnyRoute = RouteDefinition<any>

/** Declares one route; the schemas type the handler's request and its return value. */
export function defineRoute<S extends RouteSchemas>(route: RouteDefinition<S>): AnyRoute {
  return route
}
