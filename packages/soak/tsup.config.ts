import { defineConfig } from 'tsup'

// `pnpm soak` runs the built command line (node dist/cli.js); the tests run the sources.
export default defineConfig({
  entry: ['src/cli.ts'],
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  dts: false,
  sourcemap: true,
  clean: true,
  splitting: false,
})
