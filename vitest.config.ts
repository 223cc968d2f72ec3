import { defaultServerConditions } from 'vite'
import { defineConfig } from 'vitest/config'

// Tests import workspace packages from source (the `trellis-source` export
// condition); processes that tests spawn run the built `dist/` files, which
// `npm test` builds first.
// Without `module`: packages that publish bundler-only ES modules under it (OpenTelemetry's, with
// extensionless imports) are then loaded the way Node loads them, as in production.
const conditions = ['trellis-source', ...defaultServerConditions.filter((c) => c !== 'module')]

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['trellis-source'] } },
  test: {
    // Each level is a project: `npm run test:unit` and friends run one.
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['platform/*/src/**/*.test.ts', 'services/*/src/**/*.test.ts', 'tests/unit/**/*.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'functional',
          include: ['services/*/test/functional/**/*.test.ts', 'platform/*/test/functional/**/*.test.ts'],
          globalSetup: ['platform/testing/src/global-postgres.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'contract',
          include: ['services/*/test/contract/**/*.test.ts', 'platform/*/test/contract/**/*.test.ts'],
          globalSetup: ['platform/testing/src/global-postgres.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          globalSetup: ['platform/testing/src/global-postgres.ts'],
          testTimeout: 90_000,
          hookTimeout: 120_000,
          // Whole systems are many processes; on small machines run them one file at a time.
          fileParallelism: false,
        },
      },
    ],
  },
})
