import { defineError } from '@trellis/kit'

export const PaymentErrors = {
  notFound: defineError('TRELLIS_PAYMENT_NOT_FOUND', 404, 'no payment %s'),
  declined: defineError('TRELLIS_PAYMENT_DECLINED', 402, 'payment declined: %s'),
  invalidState: defineError('TRELLIS_PAYMENT_INVALID_STATE', 409, 'payment %s is %s: cannot %s'),
  testTokenRefused: defineError(
    'TRELLIS_PAYMENT_TEST_TOKEN_REFUSED',
    400,
    'test token %s is refused when TRELLIS_ENV=production',
  ),
} as const
