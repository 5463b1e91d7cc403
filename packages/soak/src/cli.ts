import { parseArgs } from 'node:util'
import { RUN_KINDS } from './run.js'
import type { RunKind } from './run.js'
import { describeFailure, soak, summary } from './soak.js'

/*
 * pnpm soak [--runs N] [--seed S] [--kind K] [--verbose]
 *
 * Runs N seeded runs (default 10 000) starting at seed S (default 1), or the one seed S when
 * --seed is given without --runs, and ends with one line:
 *   N runs, V violations, L lost bytes, H leaked handles
 * Each failed seed is printed with its violations and the command that reproduces it.
 * Exit code 1 when anything was found.
 */
const { values } = parseArgs({
  options: {
    runs: { type: 'string' },
    seed: { type: 'string' },
    kind: { type: 'string' },
    verbose: { type: 'boolean' },
  },
})
const kind = values.kind as RunKind | undefined
if (kind !== undefined && !RUN_KINDS.includes(kind)) {
  console.error(`--kind must be one of ${RUN_KINDS.join(', ')}`)
  process.exit(2)
}
const first = values.seed === undefined ? 1 : Number(values.seed)
const runs = values.runs !== undefined ? Number(values.runs) : values.seed !== undefined ? 1 : 10_000
if (!Number.isInteger(first) || first < 0 || !Number.isInteger(runs) || runs < 1) {
  console.error('--seed and --runs take integers (seed >= 0, runs >= 1)')
  process.exit(2)
}
const started = Date.now()
const totals = await soak(first, runs, {
  kind,
  onFailure: (r) => { console.log(describeFailure(r, kind)) },
  onRun: values.verbose === true ? (r) => { console.log(`seed ${r.seed} ${r.kind} ${r.ms} ms, ${r.events} callbacks: ${JSON.stringify(r.plan)}`) } : undefined,
  onProgress: (t) => { console.error(`... ${summary(t)} (${Math.round((Date.now() - started) / 1000)} s)`) },
})
console.log(summary(totals))
// exit now: a run that hung may have left handles behind (they are counted above)
process.exit(totals.violations + totals.lostBytes + totals.leakedHandles > 0 ? 1 : 0)
