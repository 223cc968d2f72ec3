import { MessagingErrors } from './messaging-errors.js'

/**
 * What a subscription matches: an event type (`catalog.product.created`) or
 * a pattern of dot-separated segments where `*` stands for exactly one
 * segment and a final `>` for one or more (`catalog.product.*`,
 * `catalog.>`). The same syntax as NATS subjects; RabbitMQ's topic
 * exchange and the Postgres transport get it translated.
 */
export interface EventPattern {
  text: string
  matches(type: string): boolean
  /** As a regular expression over event types (the Postgres transport stores it). */
  regex: string
  /** As a RabbitMQ topic-exchange binding key. */
  amqp: string
}

const SEGMENT = /^[a-z][a-z0-9-]*$/

export function compilePattern(text: string): EventPattern {
  const segments = text.split('.')
  if (segments.length < 2) throw MessagingErrors.patternInvalid(text, 'it needs at least two segments')
  segments.forEach((segment, i) => {
    if (segment === '*') return
    if (segment === '>') {
      if (i !== segments.length - 1)
        throw MessagingErrors.patternInvalid(text, '> may only be the last segment')
      return
    }
    if (!SEGMENT.test(segment))
      throw MessagingErrors.patternInvalid(
        text,
        `segment ${JSON.stringify(segment)} is not lower-case letters, digits and dashes`,
      )
  })
  const regex = `^${segments
    .map((s) => (s === '*' ? '[^.]+' : s === '>' ? '[^.]+(\\.[^.]+)*' : s))
    .join('\\.')}$`
  const compiled = new RegExp(regex)
  return {
    text,
    regex,
    amqp: segments.map((s) => (s === '>' ? '#' : s)).join('.'),
    matches: (type) => compiled.test(type),
  }
}
