/*
 * Handle accounting: `process.getActiveResourcesInfo()` counted by kind before a run and
 * after it; what is still above the baseline once the run has settled is a leak.
 */

// Immediates come and go with every turn of the loop; they are not handles a run can leak.
const IGNORED = new Set(['Immediate'])

export type Census = Map<string, number>

export function census (): Census {
  const counts: Census = new Map()
  for (const kind of process.getActiveResourcesInfo()) {
    if (!IGNORED.has(kind)) counts.set(kind, (counts.get(kind) ?? 0) + 1)
  }
  return counts
}

/** The resources above `baseline`, by kind (empty when none). */
export function excess (baseline: Census, now: Census = census()): Map<string, number> {
  const out = new Map<string, number>()
  for (const [kind, n] of now) {
    const extra = n - (baseline.get(kind) ?? 0)
    if (extra > 0) out.set(kind, extra)
  }
  return out
}

/**
 * Waits (polling every 2 ms; a timer that has fired is no longer counted) until nothing is above the
 * baseline, or `ms` milliseconds passed; returns what is left.
 */
export async function settle (baseline: Census, ms: number): Promise<Map<string, number>> {
  const deadline = Date.now() + ms
  for (;;) {
    const left = excess(baseline)
    if (left.size === 0 || Date.now() >= deadline) return left
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
}
