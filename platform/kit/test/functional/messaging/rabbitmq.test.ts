import { LOCAL_BROKERS } from '@trellis/testing'
import amqp from 'amqplib'
import { withBroker } from './broker-gate.js'
import { transportConformance } from './conformance.js'

await withBroker('rabbitmq', () =>
  transportConformance({
    kind: 'rabbitmq',
    brokerUrl: async () => LOCAL_BROKERS.rabbitmq.url(),
    through: (port) => LOCAL_BROKERS.rabbitmq.url(port),
    targetPort: () => LOCAL_BROKERS.rabbitmq.port,
    // The machine's RabbitMQ outlives the run: remove the test groups' queues.
    cleanup: async (groups) => {
      const connection = await amqp.connect(LOCAL_BROKERS.rabbitmq.url())
      try {
        const channel = await connection.createChannel()
        for (const group of groups) {
          await channel.deleteQueue(`trellis.${group}`)
          await channel.deleteQueue(`trellis.${group}.dead`)
        }
      } finally {
        await connection.close()
      }
    },
  }),
)
