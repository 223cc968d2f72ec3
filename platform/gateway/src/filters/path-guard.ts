import { GatewayErrors } from '../errors.js'
import type { GatewayFilter } from './filter.js'

/**
 * Paths that could mean different things to the gateway and to the service
 * behind it are refused before routing: dot segments, encoded slashes,
 * backslashes, empty segments and control characters.
 */
const FORBIDDEN: Array<[RegExp, string]> = [
  [/%2f|%5c/i, 'encoded slash'],
  [/\\/, 'backslash'],
  [/(^|\/)(\.|%2e){1,2}(\/|$)/i, 'dot segment'],
  [/\/\//, 'empty segment'],
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  [/%00|%0a|%0d|[\u0000-\u001f\u007f]/i, 'control character'],
]

export const pathGuard: GatewayFilter = {
  name: 'path-guard',
  stage: 'pre',
  run(context) {
    const { path } = context
    if (!path.startsWith('/')) throw GatewayErrors.pathInvalid('it must start with /')
    if (path.length > 2048) throw GatewayErrors.pathInvalid('it is longer than 2048 characters')
    for (const [pattern, reason] of FORBIDDEN) {
      if (pattern.test(path)) throw GatewayErrors.pathInvalid(`it contains a ${reason}`)
    }
  },
}
