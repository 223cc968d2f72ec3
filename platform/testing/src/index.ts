export { type BrokerName, brokerStatus, LOCAL_BROKERS, reachable } from './brokers.js'
export { runCli, type SignedIn, signIn } from './cli.js'
export {
  startTestConfigServer,
  type TestConfigServer,
  type TestConfigServerOptions,
} from './config-server.js'
export { eventually, http, type JsonResponse, processAlive } from './http.js'
export { identityHeaders, TEST_IDENTITIES, testEdgeKeys } from './identity.js'
export {
  BROKER_BINARIES,
  brokerBinaryAvailable,
  type OwnBroker,
  startOwnNats,
  startOwnRabbitMq,
} from './own-broker.js'
export { createTestDatabase, startTestPostgres, type TestPostgres } from './postgres.js'
export { NO_MIGRATIONS, postgresBrokerEnv, startPublisher, type TestPublisher } from './publisher.js'
export { startTestService, type TestService, type TestServiceOptions } from './service.js'
export { REPO_ROOT, startTestSystem, type TestSystem } from './system.js'
export { startTcpProxy, type TcpProxy } from './tcp-proxy.js'
export { tempHome } from './temp-home.js'
