/** What one run found. */
export interface Outcome {
  violations: string[]
  /** Bytes that were due and did not arrive (0 when the run allowed a loss: abort, reset, fault). */
  lostBytes: number
  /** True when the injected fault happened (a report to the exception handler is then expected). */
  faultFired: boolean
  faultError: Error | null
  /** The protocol's callback trace. */
  events: string[]
}
