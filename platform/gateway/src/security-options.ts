import type { BucketLimit } from './rate/token-bucket.js'

/** What the security filters need; the gateway's settings fill it (settings.ts), tests may give parts. */
export interface SecurityOptions {
  /** The service that issues tokens and checks API keys, found through the registry. */
  identityService: string
  tokenIssuer: string
  tokenAudience: string
  /** The private key identity assertions are signed with (a JWK as JSON); empty: none are sent. */
  edgeSigningKey: string
  rateLimitIp: BucketLimit
  rateLimitClient: BucketLimit
  corsOrigins: string[]
  maxBodyBytes: number
  maxHeaders: number
  /** How long an accepted API key is remembered: also how long a revoked key may still work. */
  apiKeyCacheS: number
}

export const DEFAULT_SECURITY: SecurityOptions = {
  identityService: 'identity',
  tokenIssuer: 'trellis-identity',
  tokenAudience: 'trellis',
  edgeSigningKey: '',
  rateLimitIp: { ratePerS: 100, burst: 200 },
  rateLimitClient: { ratePerS: 50, burst: 100 },
  corsOrigins: [],
  // The same as a service's body limit: anything larger would be refused upstream anyway.
  maxBodyBytes: 1_048_576,
  maxHeaders: 100,
  apiKeyCacheS: 30,
}
