import { fileURLToPath } from 'node:url'
import { configDefaults, defineConfig } from 'vitest/config'

const src = fileURLToPath(new URL('./src/', import.meta.url))

export default defineConfig({
  resolve: {
    alias: [
      // graphql 16 ships ESM and CJS; make every import resolve to one copy.
      { find: /^graphql$/, replacement: 'graphql/index.js' },
      // The package's own name (as the example and bench import it) resolves to src/, like tsconfig.json's paths for tsx.
      { find: /^graphql-cacheback$/, replacement: `${src}index.ts` },
      { find: /^graphql-cacheback\/(.+)$/, replacement: `${src}$1/index.ts` },
    ],
  },
  test: {
    testTimeout: 20_000,
    hookTimeout: 30_000,
    fileParallelism: true,
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'suite',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/package/**'],
          globalSetup: ['test/helpers/global-setup.ts'],
        },
      },
      {
        // npm pack + installs + tsc in child processes: after the suite, so its CPU load
        // does not slow the tests that bound store calls or run on real time.
        extends: true,
        test: { name: 'package', include: ['test/package/**/*.test.ts'], sequence: { groupOrder: 1 } },
      },
    ],
  },
})
