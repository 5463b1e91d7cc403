import { defineConfig } from 'tsup'

export default defineConfig({
  entry: { index: 'src/index.ts', 'machinery/index': 'src/machinery/index.ts', 'testing/index': 'src/testing/index.ts' },
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  tsconfig: 'tsconfig.build.json',
  dts: false, // declarations and their maps come from tsc (tsconfig.build.json)
  sourcemap: true,
  clean: true,
})
