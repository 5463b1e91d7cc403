// Both write paths of the shared transport: the direct one (a single buffer handed to Node's
// `Socket.prototype._writeGeneric`, skipping the Writable; the default where the capability
// check passes) and the documented fallback (`socket.write()`). Each scenario runs on both.
import * as net from 'node:net'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished, vi } from 'vitest'
import { RecordingProtocol, assertTrace, tempDir, withTimeout } from '@wireline/core/testing'
import { setSocketWriteFastPath } from '@wireline/core/machinery'
import { createConnection, createServer, createUnixConnection, createUnixServer, type Transport } from '../src/index.js'
import { cleanupServer, collect, payload, sha256, turn, watchExceptions, stalled } from './helpers.js'

// Bun (see the guide's Bun section): where it differs from Node, the test says so beside the check
const onBun = 'Bun' in globalThis

const T = 15_000

function writePath (direct: boolean): void {
  setSocketWriteFastPath(direct)
  onTestFinished(() => { setSocketWriteFastPath(true) })
}

/** Chunk sizes that mix small writes, writes around the marks, and writes the kernel splits. */
function chunkSizes (total: number): number[] {
  const pattern = [1, 700, 16 * 1024, 65536, 65537, 3, 200 * 1024, 4096]
  const out: number[] = []
  let sum = 0
  for (let i = 0; sum < total; i++) {
    const n = Math.min(pattern[i % pattern.length]!, total - sum)
    out.push(n)
    sum += n
  }
  return out
}

for (const direct of [true, false]) {
  describe(`writes ${direct ? "handed to the socket's handle directly" : 'through socket.write()'}`, () => {
    it(`${direct ? 'does not' : 'does'} go through socket.write() on TCP`, async () => {
      writePath(direct)
      const { t, p, s } = await stalled()
      const socket = t.getExtraInfo('socket') as net.Socket
      const spy = vi.spyOn(socket, 'write')
      t.write('abc')
      // Bun's sockets have no libuv handle to write to directly: socket.write() always
      expect(spy).toHaveBeenCalledTimes(direct && !onBun ? 0 : 1)
      const got = collect(s)
      s.resume()
      t.close()
      expect((await withTimeout(got, T)).toString()).toBe('abc')
      await withTimeout(p.lost, T)
    })

    it('a write the kernel takes whole leaves nothing buffered, synchronously', async () => {
      writePath(direct)
      const { t, p, s } = await stalled()
      t.write(Buffer.alloc(1000, 1))
      expect(t.getWriteBufferSize()).toBe(0)
      t.writelines([Buffer.alloc(10, 2), 'xyz', Buffer.alloc(5, 3)])
      expect(t.getWriteBufferSize()).toBe(0)
      const got = collect(s)
      s.resume()
      t.close()
      expect((await withTimeout(got, T)).length).toBe(1018)
      await withTimeout(p.lost, T)
    })

    it('16 MiB in mixed writes and writelines to a slow reader: every byte in order, pause/resume paired at the marks', async () => {
      writePath(direct)
      watchExceptions()
      const data = payload(16 * 1024 * 1024)
      let offset = 0
      let received = 0
      const marks: Array<['pause' | 'resume', number]> = []
      const sizes = chunkSizes(data.length)
      let i = 0
      const produce = (t: Transport): void => {
        while (!paused && i < sizes.length) {
          const n = sizes[i]!
          const chunk = data.subarray(offset, offset + n)
          if (i % 5 === 4 && n > 2) t.writelines([chunk.subarray(0, 1), chunk.subarray(1, 2), chunk.subarray(2)])
          else t.write(chunk)
          offset += n
          i++
          // the buffer never holds more than what the peer has not read
          expect(t.getWriteBufferSize()).toBeLessThanOrEqual(offset - received)
        }
        if (i === sizes.length) t.close()
      }
      let paused = false
      const { t, p, s } = await stalled({
        onPauseWriting: (tr: Transport) => { paused = true; marks.push(['pause', tr.getWriteBufferSize()]) },
        onResumeWriting: (tr: Transport) => {
          paused = false
          marks.push(['resume', tr.getWriteBufferSize()])
          setImmediate(() => produce(tr))
        },
      })
      const chunks: Buffer[] = []
      s.on('data', (c: Buffer) => {
        chunks.push(c)
        received += c.length
        // read slowly: a pause after every chunk
        s.pause()
        setTimeout(() => s.resume(), 0)
      })
      const ended = new Promise<void>((resolve) => s.once('end', resolve))
      produce(t)
      s.resume()
      await withTimeout(ended, T)
      await withTimeout(p.lost, T)
      expect(p.lostWith).toBeNull()
      const got = Buffer.concat(chunks)
      expect(got.length).toBe(data.length)
      expect(sha256(got)).toBe(sha256(data))
      expect(marks.length).toBeGreaterThan(0)
      marks.forEach(([kind, size], k) => {
        expect(kind).toBe(k % 2 === 0 ? 'pause' : 'resume')
        if (kind === 'pause') expect(size).toBeGreaterThan(65536)
        else expect(size).toBeLessThanOrEqual(16384)
      })
      assertTrace(p.events, 'stream')
    })

    it('close() with a backlog flushes it all before connectionLost(null); writes after it are dropped', async () => {
      writePath(direct)
      watchExceptions()
      const { t, p, s } = await stalled()
      t.setWriteBufferLimits({ high: 1 << 30 })
      const data = payload(8 * 1024 * 1024)
      for (let o = 0; o < data.length; o += 100_000) t.write(data.subarray(o, o + 100_000))
      expect(t.getWriteBufferSize()).toBeGreaterThan(0)
      t.close()
      t.write('dropped') // after close(): nothing is sent, nothing thrown
      const got = collect(s)
      s.resume()
      expect(sha256(await withTimeout(got, T))).toBe(sha256(data))
      expect(await withTimeout(p.lost, T)).toBeNull()
    })

    it('writeEof() with a backlog sends the FIN after the last byte; the transport stays open for reading', async () => {
      writePath(direct)
      watchExceptions()
      const { t, p, s } = await stalled()
      t.setWriteBufferLimits({ high: 1 << 30 })
      const data = payload(4 * 1024 * 1024)
      t.write(data)
      t.writeEof()
      const got = collect(s)
      s.resume()
      expect(sha256(await withTimeout(got, T))).toBe(sha256(data))
      expect(t.isClosing()).toBe(false)
      s.end('bye')
      await withTimeout(p.untilBytes(3), T)
      t.close()
      expect(await withTimeout(p.lost, T)).toBeNull()
    })

    it('the peer resetting the connection under a backlog ends it with connectionLost(err), nothing reported', async () => {
      writePath(direct)
      watchExceptions()
      const { t, p, s } = await stalled()
      t.setWriteBufferLimits({ high: 1 << 30 })
      while (t.getWriteBufferSize() === 0) t.write(Buffer.alloc(256 * 1024))
      s.resetAndDestroy()
      // keep writing until the transport notices: writes never throw
      for (let k = 0; k < 200 && !t.isClosing(); k++) {
        t.write(Buffer.alloc(64 * 1024))
        await turn()
      }
      const err = await withTimeout(p.lost, T)
      expect(err).toBeInstanceOf(Error)
      expect(['ECONNRESET', 'EPIPE']).toContain((err as NodeJS.ErrnoException).code)
      expect(t.getWriteBufferSize()).toBe(0)
      t.write('after') // dropped, no throw
    })

    it('abort() with a write in flight drops the buffer: size 0 at once, connectionLost(null)', async () => {
      writePath(direct)
      watchExceptions()
      const { t, p } = await stalled()
      t.setWriteBufferLimits({ high: 1 << 30 })
      while (t.getWriteBufferSize() === 0) t.write(Buffer.alloc(256 * 1024))
      t.write(Buffer.alloc(1000))
      t.abort()
      expect(t.getWriteBufferSize()).toBe(0)
      expect(await withTimeout(p.lost, T)).toBeNull()
      expect(p.trace()).toEqual(['connectionMade', 'connectionLost'])
    })

    it('echoes 8 MiB over TCP and a Unix socket, server side on this path too', async () => {
      writePath(direct)
      watchExceptions()
      const d = tempDir('wireline-wp-')
      onTestFinished(d.cleanup)
      const echo = (): RecordingProtocol => new RecordingProtocol({
        onData: (data, tr) => tr.write(data),
        onPauseWriting: (tr) => tr.pauseReading(),
        onResumeWriting: (tr) => tr.resumeReading(),
      })
      const tcp = cleanupServer(await createServer(echo, '127.0.0.1', 0))
      cleanupServer(await createUnixServer(echo, join(d.path, 'e.sock')))
      const tcpPort = (tcp.addresses()[0] as [string, number])[1]
      for (const connect of [
        () => createConnection(() => new RecordingProtocol(), '127.0.0.1', tcpPort),
        () => createUnixConnection(() => new RecordingProtocol(), join(d.path, 'e.sock')),
      ]) {
        const [t, p] = await connect()
        const data = payload(8 * 1024 * 1024)
        for (let o = 0; o < data.length; o += 300_000) t.write(data.subarray(o, o + 300_000))
        await withTimeout(p.untilBytes(data.length), T)
        expect(sha256(p.received())).toBe(sha256(data))
        t.close()
        await withTimeout(p.lost, T)
      }
    })
  })
}
