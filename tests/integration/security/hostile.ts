/**
 * Inputs an attacker (or a careless client) sends: injection strings for
 * every interpreter behind a service, odd Unicode, traversal. Each must be
 * refused with a 4xx or stored as the inert text it is; never a 5xx.
 */
export const HOSTILE_STRINGS: string[] = [
  // SQL
  "' OR '1'='1",
  "'; DROP TABLE products; --",
  '1 UNION SELECT password_hash FROM users --',
  "\\'; SELECT pg_sleep(5); --",
  // NoSQL, template and expression injection
  '{"$gt": ""}',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template injection attempt, on purpose
  '${7*7}',
  '{{constructor.constructor("return process")()}}',
  '#{7*7}',
  // Markup and headers
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  'line\r\nSet-Cookie: evil=1',
  // Traversal and shell
  '../../../../etc/passwd',
  '..%2f..%2fetc%2fpasswd',
  '$(cat /etc/passwd)',
  '`id`',
  // Odd Unicode: NUL, lone surrogates, RTL override, zero-width, combining marks, emoji, a BOM, overlong-ish
  'nul\u0000byte',
  'lone \ud800 surrogate',
  'right-to-left \u202e override',
  'zero\u200bwidth\u200djoiner',
  'Z\u0351\u0352\u0353\u0354\u0355algo',
  '\ud83e\udd84\ud83c\udff3\ufe0f\u200d\ud83c\udf08',
  '\ufeffbom',
  'ｆｕｌｌｗｉｄｔｈ',
  // Sizes and numbers as strings
  'x'.repeat(10_000),
  '',
  ' ',
  '-1',
  '1e309',
  'NaN',
  '__proto__',
]

/** JSON bodies that stress the parser and the validator rather than the handler. */
export const HOSTILE_BODIES: Array<[string, string]> = [
  ['malformed', '{"name": '],
  ['trailing garbage', '{"a":1} x'],
  ['not an object', '"just a string"'],
  ['null', 'null'],
  ['deeply nested arrays', `${'['.repeat(100_000)}${']'.repeat(100_000)}`],
  ['deeply nested objects', `${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`],
  ['prototype pollution', '{"__proto__": {"admin": true}, "constructor": {"prototype": {"admin": true}}}'],
  ['huge number', '{"priceCents": 1e400}'],
  ['duplicate keys', '{"name": "a", "name": "b"}'],
  ['invalid utf-8 escape', '{"name": "\\ud800"}'],
]
