import { defineConfig } from 'tsup'

// Every example is its own runnable file (node dist/<name>.js), plus the demo that runs them all;
// the Redis client is also built on its own (dist/redis/client.js) for the bench to import.
export default defineConfig({
  entry: ['src/*.ts', 'src/redis/client.ts', '!src/**/*.test.ts'],
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  dts: false,
  sourcemap: true,
  clean: true,
  splitting: false,
})
