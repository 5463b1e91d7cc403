/**
 * Pacing V8's young-generation collector for the memory that passes through a stream
 * transport: what its reads go into, and what is written through it.
 *
 * Every read a stream `Protocol` gets is memory it may keep: a fresh ArrayBuffer outside the
 * JavaScript heap (a copy of a small read, or the buffer a large read landed in, handed over).
 * V8 frees a dead young ArrayBuffer in its next scavenge, and schedules scavenges by what is
 * allocated on the heap. Node's `'data'` path allocates a few hundred bytes of heap per read,
 * and reads of up to a few KiB come with enough of their own, but a large one comes with
 * almost none. V8 11 and 12 (Node 20, 22) then scavenge because of the young ArrayBuffer
 * memory itself (once it reaches twice the largest semi-space); V8 13 (Node 24) does not while
 * a major marking runs, and its limit for external memory (64 MiB) starts one first, so an
 * echo of 16 KiB or 64 KiB reads ran mark-compacts back to back (50-80 in 3 s, where raw Node
 * ran 70 scavenges at 16 KiB; raw Node itself runs them at 64 KiB). A short-lived heap object
 * of 1/16 of the fresh memory's size fills the young generation first, and the scavenges free
 * the buffers.
 *
 * Writes are the same memory seen from the other side: a producer of fresh chunks (a file
 * read, a serializer's output) hands each to `write()` and drops it once written, and on V8 13
 * those chunks waited for the external limit too (a writer of 64 KiB chunks held to its
 * reader's pace grew 71 MiB, on raw `net` and here alike). A large write is paced as a large
 * read is, except the read being delivered: written back from `dataReceived` (an echo, a
 * proxy), it was paced once already, and pacing it twice cost an echo of 64 KiB messages a
 * tenth of its rate. Other memory written again costs a little short-lived heap, nothing else.
 */

/** Memory above this size is paced; smaller reads and writes bring enough heap allocation (measured at 4 KiB). */
const PACED_MIN = 4096

/** Heap bytes per byte of paced memory, as a shift: 1/16. */
const PACE_SHIFT = 4

/** Whether this engine needs pacing: V8 13 and later (Bun's JavaScriptCore does not). */
const PACING = !('Bun' in globalThis) && Number.parseInt(process.versions.v8 ?? '0', 10) >= 13

/**
 * The last pacing object, kept where the optimizing compiler cannot prove it dead (an
 * allocation nothing can see would be removed, and with it the pacing).
 */
export let lastPacing: unknown = null

/**
 * The memory of the read being delivered to `dataReceived` (null between deliveries), so
 * that writing it back does not pace it a second time.
 */
let delivering: ArrayBufferLike | null = null

/** `bytes` of fresh memory were allocated for reads (a copy, or a read buffer to hand over). */
export function paceReadMemory (bytes: number): void {
  if (PACING && bytes > PACED_MIN) pace(bytes)
}

/** `data`, a read, is about to be delivered; `deliveredReadMemory()` follows the delivery. */
export function deliveringReadMemory (data: Uint8Array): void {
  if (PACING && data.length > PACED_MIN) delivering = data.buffer
}

/** The delivery `deliveringReadMemory` announced is over. */
export function deliveredReadMemory (): void {
  delivering = null
}

/** `buf` was taken by a write: paced unless it is the read being delivered. */
export function paceWrittenMemory (buf: Uint8Array): void {
  if (PACING && buf.length > PACED_MIN && buf.buffer !== delivering) pace(buf.length)
}

function pace (bytes: number): void {
  // An array of n slots takes 8n bytes of heap (Node builds V8 without pointer compression).
  lastPacing = new Array(bytes >> (PACE_SHIFT + 3))
}
