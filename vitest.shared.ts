import { defaultServerConditions } from 'vite'
import { fileURLToPath } from 'node:url'
import { defineProject } from 'vitest/config'

/**
 * Shared vitest settings for every package. Tests resolve workspace packages to their
 * TypeScript source (the `@wireline/source` export condition), so `pnpm test` needs no build.
 * `vitest.setup.ts` fails any test that leaves an exception-handler report it did not take.
 */
export const sharedProject = defineProject({
  ssr: { resolve: { conditions: ['@wireline/source', ...defaultServerConditions] } },
  resolve: { conditions: ['@wireline/source'] },
  test: {
    environment: 'node',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    restoreMocks: true,
    setupFiles: [fileURLToPath(new URL('./vitest.setup.ts', import.meta.url))],
  },
})
