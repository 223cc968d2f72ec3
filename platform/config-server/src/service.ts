import { defineService } from '@trellis/kit'
import { stateOf } from './config-state.js'
import { configRoutes } from './http/config-routes.js'
import { diffRoutes } from './http/diff-routes.js'
import { revisionRoutes } from './http/revision-routes.js'
import { schemaRoutes } from './http/schema-routes.js'
import { ConfigServerSettings } from './settings.js'

/**
 * The config server: every service's settings per application, profile and
 * instance, versioned, with secrets encrypted at rest, checked against each
 * application's published schema before they are stored, and watched by
 * every instance. It is a Trellis service itself (migrations, problems,
 * health, registration); the control loop runs it as `config-1` on a fixed
 * port. See docs/configuration.md.
 */
export const configServer = defineService({
  name: 'config',
  version: '0.1.0',
  description:
    'Central configuration: properties per application and profile, history, secrets, live refresh.',
  settings: ConfigServerSettings,
  database: { migrations: new URL('../migrations', import.meta.url) },
  routes: (context) => {
    const state = stateOf(context)
    return [...configRoutes(state), ...schemaRoutes(state), ...revisionRoutes(state), ...diffRoutes(state)]
  },
  onStart: (context) => stateOf(context).checkKey(),
})
