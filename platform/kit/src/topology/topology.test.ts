import { describe, expect, it } from 'vitest'
import { DEFAULT_PORTS, parseTopology } from './topology.js'

describe('topology', () => {
  it('gives the config server a port, 8888 unless the file says otherwise', () => {
    expect(parseTopology('name: t\nservices: {}\n', '/x/trellis.yaml').ports.config).toBe(
      DEFAULT_PORTS.config,
    )
    expect(DEFAULT_PORTS.config).toBe(8888)
    expect(
      parseTopology('name: t\nplatform: { config: { port: 9999 } }\nservices: {}\n', '/x/t.yaml').ports
        .config,
    ).toBe(9999)
  })

  it("refuses a service named after one of the platform's processes", () => {
    expect(() => parseTopology('name: t\nservices:\n  config: { path: x }\n', '/x/trellis.yaml')).toThrow(
      /service name config is reserved for the platform/,
    )
  })
})
