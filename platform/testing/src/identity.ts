import type { Identity } from '@trellis/kit'
import { AssertionSigner, type EdgeKeys, generateEdgeKeys, IDENTITY_HEADER } from '@trellis/kit/platform'

/**
 * Identities for tests that call a service directly (no gateway): the test
 * plays the gateway, signing assertions with a key pair made once per test
 * process; services started by `startTestService` trust its public half.
 */
let keys: Promise<{ edge: EdgeKeys; signer: AssertionSigner }> | undefined

export function testEdgeKeys(): Promise<{ edge: EdgeKeys; signer: AssertionSigner }> {
  keys ??= generateEdgeKeys('test-edge').then(async (edge) => ({
    edge,
    signer: await AssertionSigner.fromJwk(edge.signingKey),
  }))
  return keys
}

/** The header a request to `service` needs to be made as `identity`. */
export async function identityHeaders(service: string, identity: Identity): Promise<Record<string, string>> {
  const { signer } = await testEdgeKeys()
  return { [IDENTITY_HEADER]: await signer.sign(identity, service) }
}

/** Ready-made callers: a customer, two merchants of different shops, an admin. */
export const TEST_IDENTITIES = {
  customer: { subject: 'test-customer', kind: 'user', roles: ['customer'], scopes: [] },
  admin: { subject: 'test-admin', kind: 'user', roles: ['admin'], scopes: [] },
  merchant: (merchantId: string, subject = `test-merchant-${merchantId.slice(0, 8)}`): Identity => ({
    subject,
    kind: 'user',
    roles: ['merchant'],
    scopes: [],
    merchantId,
  }),
} satisfies Record<string, Identity | ((...args: string[]) => Identity)>
