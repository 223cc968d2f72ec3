import { jetstreamManager } from '@nats-io/jetstream'
import { connect } from '@nats-io/transport-node'
import { LOCAL_BROKERS } from '@trellis/testing'
import { withBroker } from './broker-gate.js'
import { transportConformance } from './conformance.js'

await withBroker('nats', () =>
  transportConformance({
    kind: 'nats',
    brokerUrl: async () => LOCAL_BROKERS.nats.url(),
    through: (port) => LOCAL_BROKERS.nats.url(port),
    targetPort: () => LOCAL_BROKERS.nats.port,
    // The machine's NATS outlives the run: remove the test groups' consumers and the test's events.
    cleanup: async (groups, source) => {
      const nc = await connect({ servers: LOCAL_BROKERS.nats.url() })
      try {
        const jsm = await jetstreamManager(nc)
        for await (const info of jsm.consumers.list('TRELLIS_EVENTS')) {
          if (groups.some((g) => info.name.startsWith(`${g}_`)))
            await jsm.consumers.delete('TRELLIS_EVENTS', info.name)
        }
        if (source) await jsm.streams.purge('TRELLIS_EVENTS', { filter: `trellis.events.${source}.>` })
      } finally {
        await nc.close()
      }
    },
  }),
)
