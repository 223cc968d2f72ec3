export {
  startTestConfigServer,
  type TestConfigServer,
  type TestConfigServerOptions,
} from './config-server.js'
export { eventually, http, type JsonResponse, processAlive } from './http.js'
export { identityHeaders, TEST_IDENTITIES, testEdgeKeys } from './identity.js'
export { createTestDatabase, startTestPostgres, type TestPostgres } from './postgres.js'
export { startTestService, type TestService, type TestServiceOptions } from './service.js'
export { REPO_ROOT, startTestSystem, type TestSystem } from './system.js'
export { tempHome } from './temp-home.js'
