import { describe, expect, it } from 'vitest'
import { runSeed } from '../src/run.js'

// Seeds that found a bug, each run again as its own test. A seed is a whole run (kind, plan,
// timing choices); the fix is named with it.
describe('soak regressions', () => {
  // Issue 12, item 1: a buffered protocol that switches to a stream protocol (or a chunk that
  // takes the 'data' route) and pauses inside bufferUpdated got the rest of the chunk in
  // dataReceived while paused (ReadPath.#feed checked the protocol kind before the pause).
  // With that order put back, these seeds fail with "dataReceived while reading is paused":
  // 269 and 1052 over TLS (then read through 'data' events), 1168 over an accepted socket's
  // 'data' fallback.
  it.each([269, 1052, 1168])('seed %i: no data while reading is paused', async (seed) => {
    const r = await runSeed(seed)
    expect(r.violations).toEqual([])
    expect(r.lostBytes).toBe(0)
    expect(r.leakedHandles).toBe(0)
  })

  // A closing transport goes on reading, and dropping, until the peer's end (a TLS close waits
  // for the peer's close_notify); through onread, a read that came while closing returned
  // "stop reading", so the end was never seen. Once TLS sockets read through onread too, these
  // runs, whose peer sends and resets while we close, hung in about half the tries ("no end
  // after 20000 ms", the TCP handle left open): 31 over TLS, 16, 296 and 320 after startTls.
  // Each runs three times.
  it.each([16, 31, 296, 320])('seed %i: a TLS connection closed while the peer sends and resets ends', async (seed) => {
    for (let i = 0; i < 3; i++) {
      const r = await runSeed(seed)
      expect(r.violations).toEqual([])
      expect(r.leakedHandles).toBe(0)
    }
  }, 120_000)

  // The soak's own bug, found by its first full run: a resumeWriting that throws (an injected
  // fault) skipped the driver's hook, so a driver waiting for the resume waited forever.
  it('seed 3514: a throwing resumeWriting still wakes the writer (write pipe)', async () => {
    const r = await runSeed(3514)
    expect(r.violations).toEqual([])
  })
})
