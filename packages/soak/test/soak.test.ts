import { describe, expect, it } from 'vitest'
import { describeFailure, soak, summary } from '../src/soak.js'

// Issue 12, item 2: the seeded fault-injection suite, a few hundred runs in CI (the same
// seeds every time; `pnpm soak` runs 10 000). A failure prints its seed and the one command
// that reproduces it.
const FIRST_SEED = 1
const RUNS = Number(process.env.WIRELINE_SOAK_RUNS ?? 300)

describe('soak', () => {
  it(`${RUNS} seeded runs over every transport kind: no violation, no lost byte, no leaked handle`, async () => {
    const totals = await soak(FIRST_SEED, RUNS)
    const report = totals.failed.map((r) => describeFailure(r)).join('\n')
    if (report !== '') console.log(report)
    expect(summary(totals), report).toBe(`${RUNS} runs, 0 violations, 0 lost bytes, 0 leaked handles`)
  }, 600_000)
})
