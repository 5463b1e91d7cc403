import { describe, expect, it } from 'vitest'
import { RecordingProtocol, assertTrace, withTimeout } from '@wireline/core/testing'
import { createConnection, type Transport } from '../src/index.js'
import { collect, rawServer, watchExceptions, stalled } from './helpers.js'

const T = 10_000

/** Writes until the kernel is full and the transport buffers (with limits that never pause). */
function fillKernel (t: Transport): void {
  t.setWriteBufferLimits({ high: 1 << 30 })
  while (t.getWriteBufferSize() === 0) t.write(Buffer.alloc(64 * 1024))
}

describe('write flow control against a peer that stops reading', () => {
  it('pauses synchronously inside the write that goes strictly over high, resumes at or below low', async () => {
    watchExceptions()
    const sizes: Record<string, number> = {}
    const { t, p, s } = await stalled({
      onPauseWriting: (tr: Transport) => { sizes.pause = tr.getWriteBufferSize() },
      onResumeWriting: (tr: Transport) => { sizes.resume = tr.getWriteBufferSize() },
    })
    expect(t.getWriteBufferLimits()).toEqual([16384, 65536])
    let writes = 0
    while (p.count('pauseWriting') === 0) {
      const before = t.getWriteBufferSize()
      expect(before).toBeLessThanOrEqual(65536) // not paused yet: never over high
      t.write(Buffer.alloc(16 * 1024))
      writes++
    }
    expect(sizes.pause).toBeGreaterThan(65536)
    expect(writes).toBeGreaterThan(1)
    // further writes while paused do not pause again
    t.write(Buffer.alloc(1024))
    expect(p.count('pauseWriting')).toBe(1)
    const total = writes * 16 * 1024 + 1024
    const got = collect(s)
    s.resume()
    await withTimeout(p.until(() => p.count('resumeWriting') === 1), T)
    expect(sizes.resume).toBeLessThanOrEqual(16384)
    t.close()
    expect((await withTimeout(got, T)).length).toBe(total)
    await withTimeout(p.lost, T)
    expect(p.trace()).toEqual(['connectionMade', 'pauseWriting', 'resumeWriting', 'connectionLost'])
    assertTrace(p.events, 'stream')
  })

  it('the edges: size == high does not pause, one byte more does; counts are exact', async () => {
    const { t, p } = await stalled()
    fillKernel(t)
    const base = t.getWriteBufferSize()
    // the kernel takes nothing more until the loop turns: sizes are exact and stable here
    t.write(Buffer.alloc(1000))
    expect(t.getWriteBufferSize()).toBe(base + 1000)
    t.writelines([Buffer.alloc(10), 'abc'])
    expect(t.getWriteBufferSize()).toBe(base + 1013)
    const size = base + 1013
    t.setWriteBufferLimits({ high: size })
    expect(p.count('pauseWriting')).toBe(0)
    expect(t.getWriteBufferLimits()).toEqual([Math.floor(size / 4), size])
    t.setWriteBufferLimits({ high: size + 5 })
    t.write(Buffer.alloc(5))
    expect(p.count('pauseWriting')).toBe(0)
    t.write(Buffer.alloc(1))
    expect(p.count('pauseWriting')).toBe(1)
    t.abort()
    await withTimeout(p.lost, T)
    expect(p.trace()).toEqual(['connectionMade', 'pauseWriting', 'connectionLost'])
  })

  it('setWriteBufferLimits pauses at once when the buffer is already over the new high, never resumes', async () => {
    const { t, p } = await stalled()
    fillKernel(t)
    const size = t.getWriteBufferSize()
    t.setWriteBufferLimits({ high: size - 1 })
    expect(p.count('pauseWriting')).toBe(1)
    t.setWriteBufferLimits({ high: size * 10, low: size * 5 })
    expect(p.count('resumeWriting')).toBe(0)
    t.abort()
    await withTimeout(p.lost, T)
  })

  it('writelines pauses too (asyncio 3.13.0 forgot to)', async () => {
    const { t, p } = await stalled()
    fillKernel(t)
    t.setWriteBufferLimits({ high: t.getWriteBufferSize() + 10 })
    t.writelines([Buffer.alloc(6), Buffer.alloc(5)])
    expect(p.count('pauseWriting')).toBe(1)
    t.abort()
    await withTimeout(p.lost, T)
  })

  it('invalid limits throw RangeError and keep the old ones', async () => {
    const { t, p } = await stalled()
    t.setWriteBufferLimits({ high: 1000, low: 100 })
    expect(() => t.setWriteBufferLimits({ high: 10, low: 20 })).toThrow(RangeError)
    expect(() => t.setWriteBufferLimits({ high: -1 })).toThrow(RangeError)
    expect(() => t.setWriteBufferLimits({ high: 'x' as never })).toThrow(TypeError)
    expect(t.getWriteBufferLimits()).toEqual([100, 1000])
    t.setWriteBufferLimits()
    expect(t.getWriteBufferLimits()).toEqual([16384, 65536])
    t.setWriteBufferLimits({ low: 100 })
    expect(t.getWriteBufferLimits()).toEqual([100, 400])
    t.setWriteBufferLimits({ high: null, low: undefined })
    expect(t.getWriteBufferLimits()).toEqual([16384, 65536])
    t.abort()
    await withTimeout(p.lost, T)
  })

  it('a write the kernel takes whole never pauses, even with high = 0', async () => {
    const peer = await rawServer()
    const [t, p] = await createConnection(() => new RecordingProtocol(), '127.0.0.1', peer.port)
    const s = await peer.next()
    const got = collect(s)
    t.setWriteBufferLimits({ high: 0 })
    expect(t.getWriteBufferLimits()).toEqual([0, 0])
    t.write('x')
    expect(t.getWriteBufferSize()).toBe(0)
    expect(p.count('pauseWriting')).toBe(0)
    t.close()
    expect((await withTimeout(got, T)).toString()).toBe('x')
    await withTimeout(p.lost, T)
    expect(p.trace()).toEqual(['connectionMade', 'connectionLost'])
  })

  it('with high = 0 any buffered byte pauses and only an empty buffer resumes', async () => {
    const sizes: number[] = []
    const { t, p, s } = await stalled({ onResumeWriting: (tr: Transport) => sizes.push(tr.getWriteBufferSize()) })
    fillKernel(t)
    t.setWriteBufferLimits({ high: 0 })
    expect(p.count('pauseWriting')).toBe(1)
    const got = collect(s)
    s.resume()
    await withTimeout(p.until(() => p.count('resumeWriting') === 1), T)
    expect(sizes).toEqual([0])
    t.close()
    await withTimeout(got, T)
    await withTimeout(p.lost, T)
  })

  it('a protocol writing as fast as pause/resume allow delivers every byte in order', async () => {
    watchExceptions()
    const total = 32 * 1024 * 1024
    const chunk = Buffer.alloc(64 * 1024)
    let sent = 0
    let seq = 0
    const pump = (t: Transport, p: RecordingProtocol): void => {
      while (sent < total && p.count('pauseWriting') === p.count('resumeWriting')) {
        chunk.writeUInt32BE(seq++, 0)
        t.write(Buffer.from(chunk))
        sent += chunk.length
      }
      if (sent >= total) t.close()
    }
    const peer = await rawServer()
    const p = new RecordingProtocol({
      onConnectionMade: (t) => pump(t, p),
      onResumeWriting: (t) => pump(t, p),
    })
    await createConnection(() => p, '127.0.0.1', peer.port)
    const s = await peer.next()
    let received = 0
    let next = 0
    let inOrder = true
    let pending = Buffer.alloc(0)
    s.on('data', (c: Buffer) => {
      received += c.length
      pending = Buffer.concat([pending, c])
      while (pending.length >= chunk.length) {
        if (pending.readUInt32BE(0) !== next++) inOrder = false
        pending = pending.subarray(chunk.length)
      }
    })
    await withTimeout(p.lost, 30_000)
    await withTimeout(new Promise((resolve) => s.once('end', resolve)), T)
    expect(received).toBe(total)
    expect(inOrder).toBe(true)
    expect(p.count('pauseWriting')).toBe(p.count('resumeWriting'))
    assertTrace(p.events, 'stream')
  })
})
