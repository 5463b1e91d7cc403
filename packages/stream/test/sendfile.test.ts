import * as fs from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { RecordingProtocol, clientTls, serverTls, tempDir, withTimeout } from '@wireline/core/testing'
import {
  InvalidStateError, createConnection, createServer, createUnixConnection, createUnixServer, sendfile, type Transport,
} from '../src/index.js'
import { cleanupServer, collect, payload, portOf, rawServer, sha256, watchExceptions } from './helpers.js'

const T = 15_000

function file (data: Buffer): string {
  const d = tempDir('wireline-sendfile-')
  onTestFinished(d.cleanup)
  const path = join(d.path, 'payload.bin')
  fs.writeFileSync(path, data)
  return path
}

/** A server that records what it receives; resolves with the first connection's protocol. */
async function sink (options: object = {}) {
  const protocols: RecordingProtocol[] = []
  let first!: (p: RecordingProtocol) => void
  const accepted = new Promise<RecordingProtocol>((resolve) => { first = resolve })
  const server = cleanupServer(await createServer(() => {
    const p = new RecordingProtocol()
    protocols.push(p)
    first(p)
    return p
  }, '127.0.0.1', 0, options))
  return { port: portOf(server), accepted }
}

describe('sendfile', () => {
  it("sends a file's bytes through a TCP transport and resolves to the count; write() throws meanwhile", async () => {
    watchExceptions()
    const data = payload(5 * 1024 * 1024 + 123)
    const path = file(data)
    const { port, accepted } = await sink()
    const [t, p] = await createConnection(() => new RecordingProtocol(), '127.0.0.1', port)
    const sending = sendfile(t, path)
    let err: unknown
    try { t.write('x') } catch (e) { err = e }
    expect(err).toBeInstanceOf(InvalidStateError)
    expect((err as Error).message).toBe('unable to write; sendfile is in progress')
    expect(() => t.writelines(['x'])).toThrow(InvalidStateError)
    expect(await withTimeout(sending, T)).toBe(data.length)
    t.write('+tail') // writes work again
    t.close()
    const sp = await accepted
    await withTimeout(sp.lost, T)
    expect(sha256(sp.received())).toBe(sha256(Buffer.concat([data, Buffer.from('+tail')])))
    // the protocol saw no flow-control callback for the file's bytes
    expect(p.trace()).toEqual(['connectionMade', 'connectionLost'])
  })

  it('honours offset and count, from a path, a file descriptor and a FileHandle', async () => {
    const data = payload(300_000)
    const path = file(data)
    const fd = fs.openSync(path, 'r')
    onTestFinished(() => fs.closeSync(fd))
    const handle = await fs.promises.open(path, 'r')
    onTestFinished(async () => { await handle.close() })
    const peer = await rawServer()
    const [t, p] = await createConnection(() => new RecordingProtocol(), '127.0.0.1', peer.port)
    const s = await peer.next()
    const got = collect(s)
    expect(await sendfile(t, path, 1000, 5000)).toBe(5000)
    expect(await sendfile(t, fd, 299_990)).toBe(10) // to the end
    expect(await sendfile(t, handle, 0, 1_000_000)).toBe(300_000) // count past the end stops at it
    t.close()
    const received = await withTimeout(got, T)
    expect(received.equals(Buffer.concat([data.subarray(1000, 6000), data.subarray(299_990), data]))).toBe(true)
    await p.lost
  })

  it('keeps no more than about one chunk plus the high-water mark buffered against a slow reader', async () => {
    const data = payload(16 * 1024 * 1024)
    const path = file(data)
    const peer = await rawServer({ pauseOnConnect: true })
    const [t, p] = await createConnection(() => new RecordingProtocol(), '127.0.0.1', peer.port)
    const s = await peer.next()
    let maxBuffered = 0
    let received = 0
    const sent = sendfile(t, path)
    s.on('data', (c: Buffer) => {
      received += c.length
      maxBuffered = Math.max(maxBuffered, t.getWriteBufferSize())
    })
    s.resume()
    expect(await withTimeout(sent, T)).toBe(data.length)
    t.close()
    await withTimeout(p.lost, T)
    await withTimeout(new Promise((resolve) => s.once('end', resolve)), T)
    expect(received).toBe(data.length)
    expect(maxBuffered).toBeLessThanOrEqual(65536 + 65536)
  })

  it('works over Unix sockets and TLS', async () => {
    const data = payload(2 * 1024 * 1024)
    const path = file(data)
    const d = tempDir()
    onTestFinished(d.cleanup)
    const sock = join(d.path, 's.sock')
    const unixSide: RecordingProtocol[] = []
    cleanupServer(await createUnixServer(() => { const p = new RecordingProtocol(); unixSide.push(p); return p }, sock))
    const [u, up] = await createUnixConnection(() => new RecordingProtocol(), sock)
    expect(await withTimeout(sendfile(u, path), T)).toBe(data.length)
    u.close()
    await withTimeout(up.lost, T)
    await withTimeout(unixSide[0]!.lost, T)
    expect(sha256(unixSide[0]!.received())).toBe(sha256(data))

    const { port, accepted } = await sink({ ssl: serverTls() })
    const [t, p] = await createConnection(() => new RecordingProtocol(), '127.0.0.1', port, { ssl: clientTls() })
    expect(await withTimeout(sendfile(t, path), T)).toBe(data.length)
    t.close()
    await withTimeout(p.lost, T)
    const sp = await accepted
    await withTimeout(sp.lost, T)
    expect(sha256(sp.received())).toBe(sha256(data))
  })

  it('rejects on a closing transport, on bad arguments, and when the connection is lost midway', async () => {
    const data = payload(32 * 1024 * 1024)
    const path = file(data)
    const peer = await rawServer({ pauseOnConnect: true })
    const [t, p] = await createConnection(() => new RecordingProtocol(), '127.0.0.1', peer.port)
    const s = await peer.next()
    expect(() => sendfile(t, path, -1)).toThrow(RangeError)
    expect(() => sendfile(t, path, 0, 0)).toThrow(RangeError)
    expect(() => sendfile(t, {} as never)).toThrow(TypeError)
    expect(() => sendfile({} as never, path)).toThrow(TypeError)
    const sending = sendfile(t, path)
    await withTimeout(new Promise<void>((resolve) => { const w = (): void => { if (t.getWriteBufferSize() > 0) resolve(); else setImmediate(w) }; w() }), T)
    s.resetAndDestroy()
    const err = await withTimeout(sending.catch((e: unknown) => e), T)
    expect((err as NodeJS.ErrnoException).code).toBe('ECONNRESET')
    await withTimeout(p.lost, T)
    await expect(sendfile(t, path)).rejects.toBeInstanceOf(InvalidStateError)

    const peer2 = await rawServer()
    const [t2, p2] = await createConnection(() => new RecordingProtocol(), '127.0.0.1', peer2.port)
    t2.close()
    await expect(sendfile(t2 as Transport, path)).rejects.toThrow('Transport is closing')
    await withTimeout(p2.lost, T)
  })

  for (const how of ['end', 'destroy'] as const) {
    it(`a peer that ${how === 'end' ? 'closes (FIN)' : 'closes with unread data (a reset)'} midway: rejects with the connection error, not a state error`, async () => {
      const path = file(payload(64 * 1024 * 1024))
      const peer = await rawServer({ allowHalfOpen: false })
      const [t, p] = await createConnection(() => new RecordingProtocol(), '127.0.0.1', peer.port)
      const s = await peer.next()
      let got = 0
      s.on('data', (c: Buffer) => {
        got += c.length
        if (got >= 1024 * 1024 && !s.destroyed) {
          s.pause()
          if (how === 'end') s.end()
          else s.destroy()
        }
      })
      const err = await withTimeout(sendfile(t, path).catch((e: unknown) => e), T)
      expect(['EPIPE', 'ECONNRESET']).toContain((err as NodeJS.ErrnoException).code)
      expect(err).not.toBeInstanceOf(InvalidStateError)
      await withTimeout(p.lost, T)
    })
  }
})
