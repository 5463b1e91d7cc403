/**
 * Pacing V8's young-generation collector for the reads a stream transport copies out.
 *
 * Every read a stream `Protocol` gets is memory it may keep: a fresh ArrayBuffer, outside the
 * JavaScript heap. V8 frees a dead young ArrayBuffer in its next scavenge, and schedules
 * scavenges by what is allocated on the heap. Node's `'data'` path allocates a few hundred
 * bytes of heap per read, and copies of up to a few KiB come with enough of their own, but a
 * large copy comes with almost none. V8 11 and 12 (Node 20, 22) then scavenge because of the
 * young ArrayBuffer memory itself; V8 13 (Node 24) waits until that memory reaches twice its
 * largest semi-space, after its limit for external memory has started a full mark-compact, so
 * a server echoing 16 KiB reads ran mark-compacts back to back (50 in 3 s against raw Node's
 * 70 scavenges, at 0.85-0.9x its requests per second). A short-lived heap object of 1/16 of
 * each large copy's size fills the young generation first, and the scavenges free the buffers.
 */

/** Copies above this size are paced; smaller ones come with enough heap allocation (measured at 4 KiB). */
const PACED_COPY_MIN = 4096

/** Heap bytes per copied byte, as a shift: 1/16. */
const PACE_SHIFT = 4

/** Whether this engine needs pacing: V8 13 and later (Bun's JavaScriptCore does not). */
const PACING = !('Bun' in globalThis) && Number.parseInt(process.versions.v8 ?? '0', 10) >= 13

/**
 * The last pacing object, kept where the optimizing compiler cannot prove it dead (an
 * allocation nothing can see would be removed, and with it the pacing).
 */
export let lastPacing: unknown = null

/** A read of `bytes` was copied into fresh memory. */
export function paceCopy (bytes: number): void {
  // An array of n slots takes 8n bytes of heap (4n with pointer compression; Node builds without).
  if (PACING && bytes > PACED_COPY_MIN) lastPacing = new Array(bytes >> (PACE_SHIFT + 3))
}
