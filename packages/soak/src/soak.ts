import { reproduce, runSeed } from './run.js'
import type { RunKind, RunResult } from './run.js'

/** Totals of a series of runs: the line `pnpm soak` ends with. */
export interface Totals {
  runs: number
  violations: number
  lostBytes: number
  leakedHandles: number
  failed: RunResult[]
}

export function summary (t: Totals): string {
  return `${t.runs} runs, ${t.violations} violations, ${t.lostBytes} lost bytes, ${t.leakedHandles} leaked handles`
}

/** How one failed seed is printed: what broke, and the one command that runs it again. */
export function describeFailure (r: RunResult, forced?: RunKind): string {
  return [
    `seed ${r.seed} (${r.kind}) failed:`,
    ...r.violations.map((v) => `  - ${v}`),
    `  plan: ${JSON.stringify(r.plan)}`,
    `  reproduce: ${reproduce(r.seed, forced)}`,
  ].join('\n')
}

/**
 * Runs `count` seeds from `first` on, one after the other; `onFailure` hears of each failed
 * seed as it happens, `onProgress` every 500 runs.
 */
export async function soak (first: number, count: number, options: {
  kind?: RunKind
  onFailure?: (r: RunResult) => void
  onRun?: (r: RunResult) => void
  onProgress?: (t: Totals) => void
} = {}): Promise<Totals> {
  // stdout and stderr are opened on first use: open them now, or the first run that writes a
  // warning would seem to leak a handle
  void process.stdout
  void process.stderr
  const totals: Totals = { runs: 0, violations: 0, lostBytes: 0, leakedHandles: 0, failed: [] }
  for (let i = 0; i < count; i++) {
    const r = await runSeed(first + i, options.kind)
    options.onRun?.(r)
    totals.runs++
    totals.violations += r.violations.length
    totals.lostBytes += r.lostBytes
    totals.leakedHandles += r.leakedHandles
    if (r.violations.length > 0) {
      totals.failed.push(r)
      options.onFailure?.(r)
    }
    if (totals.runs % 500 === 0) options.onProgress?.(totals)
  }
  return totals
}
