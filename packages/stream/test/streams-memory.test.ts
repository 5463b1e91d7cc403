import { describe, expect, it, onTestFinished } from 'vitest'
import { Deferred, withTimeout } from '@wireline/core/testing'
import { openConnection, startServer } from '../src/index.js'
import type { StreamReader, StreamWriter } from '../src/index.js'
import { cleanupServer, portOf } from './helpers.js'

// 256 MiB pushed at a server that reads slowly, and at one that does not read until told to:
// the reader's buffer never holds more than 2 × limit plus the chunk that crossed the mark
// (nothing is delivered while reading is paused), and the writer's transport buffer never
// more than the high-water mark plus one write (the writer awaits drain() after each).
const TOTAL = 256 * 1024 * 1024
const CHUNK = 64 * 1024
const LIMIT = 64 * 1024 // the default
const HIGH = 65536 // the transports' default high-water mark
const T = 30_000
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/** Turns the event loop until `done()` is true; rejects (and stops turning) after `ms`. */
async function until (done: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms} ms`)
    await turn()
  }
}

/** Counts what the transport feeds the reader and what the test reads: their difference is what it holds. */
function meter (reader: StreamReader, writer: StreamWriter): {
  consumed: (n: number) => void, buffered: () => number, max: () => number, maxChunk: () => number, pauses: () => number
} {
  let fed = 0
  let consumed = 0
  let max = 0
  let maxChunk = 0
  let pauses = 0
  const feed = reader.feedData.bind(reader)
  reader.feedData = (data: Uint8Array) => {
    fed += data.length
    maxChunk = Math.max(maxChunk, data.length)
    feed(data)
    max = Math.max(max, fed - consumed)
    if (!writer.transport.isReading()) pauses++
  }
  return {
    consumed: (n) => { consumed += n },
    buffered: () => fed - consumed,
    max: () => max,
    maxChunk: () => maxChunk,
    pauses: () => pauses,
  }
}

/** The client: TOTAL bytes in CHUNK writes, each followed by `await drain()`; the largest write buffer seen. */
function push (writer: StreamWriter, progress: { written: number, maxBuffer: number, draining: boolean }): Promise<void> {
  const chunk = Buffer.alloc(CHUNK, 0x5a)
  return (async () => {
    while (progress.written < TOTAL) {
      writer.write(chunk)
      progress.written += CHUNK
      progress.maxBuffer = Math.max(progress.maxBuffer, writer.transport.getWriteBufferSize())
      progress.draining = true
      await writer.drain()
      progress.draining = false
    }
    writer.writeEof()
  })()
}

describe('bounded memory both ways (256 MiB)', () => {
  it('a server that reads slowly: the reader pauses the transport and holds at most 2 × limit + one chunk', async () => {
    const done = new Deferred<{ got: number, max: number, maxChunk: number, pauses: number }>()
    const server = cleanupServer(await startServer(async (reader, writer) => {
      const m = meter(reader, writer)
      let got = 0
      for (;;) {
        const data = await reader.read(8192)
        m.consumed(data.length)
        got += data.length
        if (data.length === 0) break
        await turn() // slow: one small read per turn of the event loop
      }
      done.resolve({ got, max: m.max(), maxChunk: m.maxChunk(), pauses: m.pauses() })
      writer.close()
    }, '127.0.0.1', 0))
    const [, writer] = await openConnection('127.0.0.1', portOf(server))
    onTestFinished(() => { writer.transport.abort() })
    const progress = { written: 0, maxBuffer: 0, draining: false }
    await withTimeout(push(writer, progress), T, 'the push')
    const r = await withTimeout(done.promise, T, 'the slow reader')
    expect(r.got).toBe(TOTAL)
    expect(r.pauses).toBeGreaterThan(0) // it did fall behind
    expect(r.max).toBeGreaterThan(2 * LIMIT)
    expect(r.max).toBeLessThanOrEqual(2 * LIMIT + r.maxChunk)
    expect(progress.maxBuffer).toBeLessThanOrEqual(HIGH + CHUNK)
    await withTimeout(writer.waitClosed(), T)
  }, 2 * T)

  it('a server that does not read: everything stalls with bounded buffers; once it reads, all 256 MiB arrive', async () => {
    const connected = new Deferred<{ reader: StreamReader, writer: StreamWriter }>()
    const server = cleanupServer(await startServer((reader, writer) => {
      connected.resolve({ reader, writer })
    }, '127.0.0.1', 0))
    const [, writer] = await openConnection('127.0.0.1', portOf(server))
    onTestFinished(() => { writer.transport.abort() })
    const s = await withTimeout(connected.promise, T)
    const m = meter(s.reader, s.writer)
    const progress = { written: 0, maxBuffer: 0, draining: false }
    const pushing = push(writer, progress)
    // Stalled: the server's transport paused reading and the client waits in drain() with a
    // buffer over the high-water mark (the kernel buffers between them are full).
    await until(() => !s.writer.transport.isReading() && progress.draining &&
      writer.transport.getWriteBufferSize() > HIGH, T, 'the stall')
    const stalledAt = { written: progress.written, buffered: m.buffered() }
    for (let i = 0; i < 20; i++) await turn()
    expect(progress.written).toBe(stalledAt.written)
    expect(m.buffered()).toBe(stalledAt.buffered)
    expect(progress.written).toBeLessThan(TOTAL / 4)
    expect(m.buffered()).toBeGreaterThan(2 * LIMIT)
    expect(m.buffered()).toBeLessThanOrEqual(2 * LIMIT + m.maxChunk())
    // Now read everything: the transport resumes, the client finishes.
    let got = 0
    for (;;) {
      const data = await withTimeout(s.reader.read(LIMIT), T)
      m.consumed(data.length)
      if (data.length === 0) break
      got += data.length
    }
    await withTimeout(pushing, T)
    expect(got).toBe(TOTAL)
    expect(m.max()).toBeLessThanOrEqual(2 * LIMIT + m.maxChunk())
    expect(progress.maxBuffer).toBeLessThanOrEqual(HIGH + CHUNK)
    s.writer.close()
    await withTimeout(writer.waitClosed(), T)
  }, 2 * T)
})
