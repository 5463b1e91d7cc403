import { setExceptionHandler, getExceptionHandler } from '@wireline/core'
import type { ExceptionContext } from '@wireline/core'
import { planStream, runStream } from './byte-stream.js'
import { planDatagram, runDatagram } from './datagram.js'
import { census, settle } from './handles.js'
import type { Outcome } from './outcome.js'
import { STREAM_KINDS, TLS_VARIANT_KINDS } from './pairs.js'
import type { StreamKind } from './pairs.js'
import { Random } from './random.js'
import { planSubprocess, runSubprocess } from './subprocess.js'
import { bounded } from './timing.js'

/** A run's kind: a byte-stream transport kind, UDP, or a child process's pipes. */
export type RunKind = StreamKind | 'udp' | 'subprocess'
export const RUN_KINDS: readonly RunKind[] = [...STREAM_KINDS, ...TLS_VARIANT_KINDS, 'udp', 'subprocess']

/** How one seed went. */
export interface RunResult {
  seed: number
  kind: RunKind
  plan: unknown
  violations: string[]
  lostBytes: number
  leakedHandles: number
  ms: number
  /** How many protocol callbacks the run saw. */
  events: number
}

/** A run longer than this is a violation (and its handles are reclaimed as well as can be). */
const RUN_DEADLINE = 20_000
/** How long handles may take to go back to the baseline once the run is over. */
const SETTLE = 3_000

/**
 * The kind a seed runs: mostly byte streams, each kind alike; some UDP and child processes. A
 * third of the TLS seeds take a TLS variant (`TLS_VARIANT_KINDS`): an accepted socket given
 * to `connectAcceptedSocket`, a connection upgraded by `startTls`. That choice has its own
 * generator, so the run's draws (and every seed of the other kinds) are what they were.
 */
export function kindOf (rng: Random, only?: RunKind, seed = 0): RunKind {
  if (only !== undefined) return only
  const family = rng.weighted({ stream: 16, udp: 2, subprocess: 1 })
  if (family !== 'stream') return family
  const kind = rng.pick(STREAM_KINDS)
  if ((kind !== 'tls-server' && kind !== 'tls-client') || !new Random(seed ^ TLS_VARIANT_SALT).chance(1 / 3)) return kind
  return kind === 'tls-server' ? 'tls-accepted' : 'tls-upgraded'
}

const TLS_VARIANT_SALT = 0x715a

/** Runs one seed (optionally forcing its kind) and checks it. Runs must not overlap. */
export async function runSeed (seed: number, only?: RunKind): Promise<RunResult> {
  const rng = new Random(seed)
  const kind = kindOf(rng, only, seed)
  const baseline = census()
  const reports: ExceptionContext[] = []
  const previous = getExceptionHandler()
  setExceptionHandler((ctx) => { reports.push(ctx) })
  const started = Date.now()
  let plan: unknown = null
  let outcome: Outcome
  try {
    let running: Promise<Outcome>
    if (kind === 'udp') {
      const p = planDatagram(rng)
      plan = p
      running = runDatagram(rng, p)
    } else if (kind === 'subprocess') {
      const p = planSubprocess(rng)
      plan = p
      running = runSubprocess(rng, p)
    } else {
      const p = planStream(rng, kind)
      plan = p
      running = runStream(rng, p)
    }
    outcome = await bounded(running, RUN_DEADLINE, `seed ${seed}`)
  } catch (err) {
    outcome = { violations: [`the run failed: ${(err as Error).stack ?? String(err)}`], lostBytes: 0, faultFired: false, faultError: null, events: [] }
  }
  const left = await settle(baseline, SETTLE)
  setExceptionHandler(previous)
  const violations = [...outcome.violations]
  // the exception handler hears of the injected fault, once, and of nothing else
  if (outcome.faultFired) {
    if (reports.length !== 1) {
      violations.push(`${reports.length} exception-handler reports for one injected fault: ${reports.map((r) => r.message).join('; ')}`)
    } else if (outcome.faultError !== null && reports[0]!.exception !== outcome.faultError &&
      !(reports[0]!.exception instanceof Error && /empty|buffer/i.test(reports[0]!.exception.message))) {
      violations.push(`the report is not the injected fault: ${reports[0]!.message} ${String(reports[0]!.exception)}`)
    }
  } else if (reports.length > 0) {
    violations.push(`exception-handler reports with no fault injected: ${reports.map((r) => `${r.message} ${String(r.exception)}`).join('; ')}`)
  }
  let leaked = 0
  for (const [what, n] of left) {
    leaked += n
    violations.push(`${n} ${what} handle(s) above the baseline after the run`)
  }
  return { seed, kind, plan, violations, lostBytes: outcome.lostBytes, leakedHandles: leaked, ms: Date.now() - started, events: outcome.events.length }
}

/** The one command that reproduces a seed. */
export function reproduce (seed: number, kind?: RunKind): string {
  return `pnpm soak --seed ${seed}${kind === undefined ? '' : ` --kind ${kind}`}`
}
