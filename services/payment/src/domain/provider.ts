/**
 * The simulated provider's decisions, without I/O. Test tokens provoke one
 * outcome on purpose (like a card network's test cards); the rates provoke
 * them at random, to load a system with failures.
 */
export const TEST_TOKENS = {
  /** Always approved. */
  ok: 'tok_ok',
  /** Always declined. */
  decline: 'tok_decline',
  /** Approved, but the answer never comes back (the caller times out). */
  timeout: 'tok_timeout',
} as const

export interface ProviderKnobs {
  declineRate: number
  timeoutRate: number
  testTokens: boolean
}

export type AuthorizeOutcome = 'approved' | 'declined' | 'lost'

export function authorizeOutcome(
  token: string | undefined,
  knobs: ProviderKnobs,
  random: () => number = Math.random,
): AuthorizeOutcome {
  if (knobs.testTokens && token === TEST_TOKENS.decline) return 'declined'
  if (knobs.testTokens && token === TEST_TOKENS.timeout) return 'lost'
  if (knobs.testTokens && token === TEST_TOKENS.ok) return 'approved'
  const roll = random()
  if (roll < knobs.declineRate) return 'declined'
  if (roll < knobs.declineRate + knobs.timeoutRate) return 'lost'
  return 'approved'
}

export function isTestToken(token: string | undefined): boolean {
  return token !== undefined && Object.values(TEST_TOKENS).includes(token as never)
}
