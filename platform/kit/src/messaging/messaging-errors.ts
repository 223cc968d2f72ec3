import { defineError } from '../errors/define-error.js'

/** Errors of the kit's messaging: the outbox, consumers, dead letters and transports. */
export const MessagingErrors = {
  eventInvalid: defineError('TRELLIS_MESSAGING_EVENT_INVALID', 500, 'cannot publish this event: %s'),
  patternInvalid: defineError(
    'TRELLIS_MESSAGING_PATTERN_INVALID',
    500,
    'subscription pattern %s is invalid: %s',
  ),
  envelopeInvalid: defineError('TRELLIS_MESSAGING_ENVELOPE_INVALID', 422, 'the message is not an event: %s'),
  deadLetterNotFound: defineError('TRELLIS_MESSAGING_DEAD_LETTER_NOT_FOUND', 404, 'no dead letter %s'),
  replayFailed: defineError(
    'TRELLIS_MESSAGING_REPLAY_FAILED',
    422,
    'dead letter %s failed again and stays a dead letter: %s',
  ),
  noHandler: defineError(
    'TRELLIS_MESSAGING_NO_HANDLER',
    422,
    'dead letter %s has type %s, which this service no longer subscribes to',
  ),
  transportUnavailable: defineError(
    'TRELLIS_MESSAGING_TRANSPORT_UNAVAILABLE',
    503,
    'the %s transport is unavailable: %s',
    {
      retryable: true,
    },
  ),
} as const
