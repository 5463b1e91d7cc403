import { defineConfig } from 'tsup'

// Every example is its own runnable file (node dist/<name>.js), plus the demo that runs them all.
export default defineConfig({
  entry: ['src/*.ts', '!src/**/*.test.ts'],
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  dts: false,
  sourcemap: true,
  clean: true,
  splitting: false,
})
