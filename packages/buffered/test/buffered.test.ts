import * as net from 'node:net'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import {
  RecordingBufferedProtocol, RecordingProtocol, assertTrace, clientTls, serverTls, socketPair, tempDir, withTimeout,
} from '@wireline/core/testing'
import {
  BufferedProtocol, InvalidStateError, connectAcceptedSocket, createConnection, createServer, createUnixConnection,
  createUnixServer, type Transport,
} from '../src/index.js'
import { acceptPath, cleanupServer, payload, portOf, sendTo, sender, sha256, watchExceptions } from './helpers.js'

// Bun (see the guide's Bun section): where it differs from Node, the test says so beside the check
const onBun = 'Bun' in globalThis

const T = 20_000
const MiB = 1024 * 1024

/** A server of recording buffered protocols; `accepted` resolves with the first one. */
async function bufferedServer (options: object = {}, make = () => new RecordingBufferedProtocol()) {
  let first!: (p: RecordingBufferedProtocol) => void
  const accepted = new Promise<RecordingBufferedProtocol>((resolve) => { first = resolve })
  const server = cleanupServer(await createServer(() => { const p = make(); first(p); return p }, '127.0.0.1', 0, options))
  return { port: portOf(server), accepted }
}

function checkUpdates (p: RecordingBufferedProtocol, max: number): void {
  expect(p.updates.every((n) => n >= 1 && n <= max)).toBe(true)
  expect(p.hints.every((h) => h === -1)).toBe(true)
}

describe('BufferedProtocol over a client connection (onread into the protocol buffer)', () => {
  it('7-byte buffers against a large write: every update within the buffer, every byte in order', async () => {
    watchExceptions()
    const data = payload(256 * 1024)
    const peer = await sender(data)
    const [, p] = await createConnection(() => new RecordingBufferedProtocol({ bufferSize: 7 }), '127.0.0.1', peer.port)
    await withTimeout(p.lost, T)
    expect(p.bytes).toBe(data.length)
    expect(p.received().equals(data)).toBe(true)
    checkUpdates(p, 7)
    expect(p.updates.length).toBeGreaterThanOrEqual(Math.ceil(data.length / 7))
    assertTrace(p.events, 'buffered')
    expect(p.events.at(-2)).toBe('eofReceived')
    expect(p.events.at(-1)).toBe('connectionLost')
  })

  it('64 MiB arrive intact into one reused 256 KiB buffer', async () => {
    const data = payload(64 * MiB)
    const peer = await sender(data)
    const [, p] = await createConnection(() => new RecordingBufferedProtocol({ bufferSize: 256 * 1024 }), '127.0.0.1', peer.port)
    await withTimeout(p.lost, T)
    expect(p.bytes).toBe(data.length)
    expect(sha256(p.received())).toBe(sha256(data))
    checkUpdates(p, 256 * 1024)
    assertTrace(p.events, 'buffered')
  })

  it('eofReceived true keeps the connection open for writing; false closes it', async () => {
    const peer = await sender(Buffer.from('request'))
    const [t, p] = await createConnection(() => new RecordingBufferedProtocol({ eofReturn: true }), '127.0.0.1', peer.port)
    await withTimeout(p.eof, T)
    expect(t.isClosing()).toBe(false)
    expect(t.isReading()).toBe(false)
    const s = peer.sockets[0]!
    const got = new Promise<string>((resolve) => { let text = ''; s.on('data', (c: Buffer) => { text += c.toString() }); s.on('end', () => resolve(text)) })
    t.write('answer')
    t.close()
    expect(await withTimeout(got, T)).toBe('answer')
    await withTimeout(p.lost, T)
    expect(p.received().toString()).toBe('request')

    const peer2 = await sender(Buffer.from('x'))
    const [t2, p2] = await createConnection(() => new RecordingBufferedProtocol(), '127.0.0.1', peer2.port)
    await withTimeout(p2.lost, T)
    expect(t2.isClosing()).toBe(true)
    expect(p2.lostWith).toBe(null)
  })

  it('pauseReading stops getBuffer calls until resumeReading; nothing is lost', async () => {
    const data = payload(MiB)
    const peer = await sender(data)
    let pauseAt: number | null = null
    const [t, p] = await createConnection(() => new RecordingBufferedProtocol({
      bufferSize: 4096,
      onConnectionMade: (tr) => tr.pauseReading(),
      onBufferUpdated: (_n, tr) => {
        if (pauseAt === null && p.bytes > 100_000) {
          tr.pauseReading()
          pauseAt = p.count('getBuffer')
        }
      },
    }), '127.0.0.1', peer.port)
    await new Promise((resolve) => setTimeout(resolve, 100)) // proving an absence
    expect(p.count('getBuffer')).toBe(0)
    t.resumeReading()
    await withTimeout(p.until(() => pauseAt !== null), T)
    const bytesAtPause = p.bytes
    await new Promise((resolve) => setTimeout(resolve, 100)) // proving an absence
    expect(p.count('getBuffer')).toBe(pauseAt)
    expect(p.bytes).toBe(bytesAtPause)
    expect(t.isReading()).toBe(false)
    t.resumeReading()
    await withTimeout(p.lost, T)
    expect(p.received().equals(data)).toBe(true)
    assertTrace(p.events, 'buffered')
  })
})

for (const fast of [true, false]) {
  describe(`BufferedProtocol on a server (accepted sockets read via ${fast ? 'onread: zero-copy' : "'data' events: one copy"})`, () => {
    it('64 MiB from a raw client arrive intact; 7-byte buffers too', async () => {
      acceptPath(fast)
      watchExceptions()
      const data = payload(64 * MiB)
      const { port, accepted } = await bufferedServer({}, () => new RecordingBufferedProtocol({ bufferSize: 256 * 1024 }))
      sendTo(port, data)
      const p = await withTimeout(accepted, T)
      await withTimeout(p.lost, T)
      expect(sha256(p.received())).toBe(sha256(data))
      checkUpdates(p, 256 * 1024)
      assertTrace(p.events, 'buffered')
      const socket = p.transport!.getExtraInfo('socket') as net.Socket
      // Bun has no onread for accepted sockets: there the 'data' fallback always runs
      expect(socket.listenerCount('data')).toBe(fast && !onBun ? 0 : 1)

      const small = payload(100_000)
      const tiny = await bufferedServer({}, () => new RecordingBufferedProtocol({ bufferSize: 7 }))
      sendTo(tiny.port, small)
      const tp = await withTimeout(tiny.accepted, T)
      await withTimeout(tp.lost, T)
      expect(tp.received().equals(small)).toBe(true)
      checkUpdates(tp, 7)
      assertTrace(tp.events, 'buffered')
    })
  })
}

describe('BufferedProtocol over Unix sockets, TLS and accepted sockets', () => {
  it('64 MiB over a Unix socket, into the client and into the server', async () => {
    const d = tempDir()
    onTestFinished(d.cleanup)
    const path = join(d.path, 'b.sock')
    const data = payload(64 * MiB)
    let first!: (p: RecordingBufferedProtocol) => void
    const accepted = new Promise<RecordingBufferedProtocol>((resolve) => { first = resolve })
    cleanupServer(await createUnixServer(() => {
      const sp = new RecordingBufferedProtocol({ bufferSize: 128 * 1024, eofReturn: true, onConnectionMade: (t) => t.write(data) })
      sp.eof.then(() => { sp.transport!.close() }, () => {})
      first(sp)
      return sp
    }, path))
    const [t, p] = await createUnixConnection(() => new RecordingBufferedProtocol({ bufferSize: 100_000 }), path)
    await withTimeout(p.untilBytes(data.length), T)
    t.write(data)
    t.writeEof()
    const sp = await accepted
    await withTimeout(sp.lost, T)
    await withTimeout(p.lost, T)
    expect(sha256(p.received())).toBe(sha256(data))
    expect(sha256(sp.received())).toBe(sha256(data))
    assertTrace(p.events, 'buffered')
    assertTrace(sp.events, 'buffered')
  })

  it('64 MiB over TLS, into the client and into the server', async () => {
    const data = payload(64 * MiB)
    const { port, accepted } = await bufferedServer({ ssl: serverTls() }, () => {
      const sp = new RecordingBufferedProtocol({ bufferSize: 256 * 1024, onConnectionMade: (t) => { t.write(data) } })
      return sp
    })
    const [t, p] = await createConnection(() => new RecordingBufferedProtocol({ bufferSize: 256 * 1024 }), '127.0.0.1', port, { ssl: clientTls() })
    await withTimeout(p.untilBytes(data.length), T)
    t.write(data)
    const sp = await accepted
    await withTimeout(sp.untilBytes(data.length), T)
    t.close()
    await withTimeout(p.lost, T)
    expect(sha256(p.received())).toBe(sha256(data))
    expect(sha256(sp.received())).toBe(sha256(data))
    assertTrace(p.events, 'buffered')
  })

  it('over TLS, getBuffer is asked once decrypted bytes are there: each call gets its update', async () => {
    // asyncio's TLS transport asks for a buffer once it has decrypted bytes; Node decrypts into
    // memory of its own, so asking ahead of time (as on a plain socket) could only hand the
    // protocol a buffer to hold for bytes that may never come
    const { port, accepted } = await bufferedServer({ ssl: serverTls() }, () => new RecordingBufferedProtocol({ bufferSize: 1000 }))
    const [t, p] = await createConnection(() => new RecordingBufferedProtocol(), '127.0.0.1', port, { ssl: clientTls() })
    const sp = await accepted
    const sent: Buffer[] = []
    for (const n of [1, 2500, 40_000]) {
      const chunk = payload(n)
      sent.push(chunk)
      t.write(chunk)
      await withTimeout(sp.untilBytes(Buffer.concat(sent).length), T)
    }
    t.close()
    await withTimeout(sp.lost, T)
    await withTimeout(p.lost, T)
    expect(sp.received().equals(Buffer.concat(sent))).toBe(true)
    const calls = sp.events.filter((e) => e === 'getBuffer' || e === 'bufferUpdated')
    expect(calls.join(' ')).toBe(Array.from({ length: calls.length / 2 }, () => 'getBuffer bufferUpdated').join(' '))
    expect(sp.events[0]).toBe('connectionMade')
    expect(sp.events.slice(calls.length + 1)).toEqual(['eofReceived', 'connectionLost'])
    checkUpdates(sp, 1000)
  })

  it('connectAcceptedSocket feeds a buffered protocol', async () => {
    const [a, b] = await socketPair()
    onTestFinished(() => { a.destroy(); b.destroy() })
    const [, p] = await connectAcceptedSocket(() => new RecordingBufferedProtocol({ bufferSize: 1000 }), a)
    const data = payload(MiB)
    b.end(data)
    await withTimeout(p.lost, T)
    expect(p.received().equals(data)).toBe(true)
    checkUpdates(p, 1000)
  })
})

describe('fatal cases', () => {
  it('an empty buffer from getBuffer is fatal: reported, connectionLost(the error)', async () => {
    const ex = watchExceptions()
    const peer = await sender(Buffer.from('data'), { end: false })
    const [, p] = await createConnection(() => new RecordingBufferedProtocol({ getBufferReturns: () => new Uint8Array(0) }), '127.0.0.1', peer.port)
    const err = await withTimeout(p.lost, T)
    expect(err).toBeInstanceOf(InvalidStateError)
    expect(err!.message).toBe('getBuffer() returned an empty buffer')
    const reports = ex.take()
    expect(reports).toHaveLength(1)
    expect(reports[0]!.message).toBe('Fatal error: protocol.getBuffer() call failed.')
    expect(reports[0]!.exception).toBe(err)
    expect(p.trace()).toEqual(['connectionMade', 'getBuffer', 'connectionLost'])
  })

  for (const callback of ['getBuffer', 'bufferUpdated'] as const) {
    it(`a throwing ${callback} is fatal with the same error object`, async () => {
      const ex = watchExceptions()
      const boom = new Error(`${callback} boom`)
      const peer = await sender(Buffer.from('data'), { end: false })
      const [t, p] = await createConnection(() => new RecordingBufferedProtocol({ throwIn: { callback, error: boom } }), '127.0.0.1', peer.port)
      expect(await withTimeout(p.lost, T)).toBe(boom)
      const reports = ex.take()
      expect(reports.map((r) => [r.message, r.exception, r.transport])).toEqual([[`Fatal error: protocol.${callback}() call failed.`, boom, t]])
      expect(p.events.at(-1)).toBe('connectionLost')
      assertTrace(p.events, 'buffered')
    })
  }

  it('a server survives a protocol whose getBuffer fails', async () => {
    const ex = watchExceptions()
    let n = 0
    const { port } = await bufferedServer({}, () => new RecordingBufferedProtocol(n++ === 0 ? { getBufferReturns: () => new Uint8Array(0) } : {}))
    const s1 = sendTo(port, Buffer.from('first'))
    await withTimeout(new Promise((resolve) => s1.once('close', resolve)), T)
    expect(ex.take()).toHaveLength(1)
    const [t, p] = await createConnection(() => new RecordingBufferedProtocol(), '127.0.0.1', port)
    t.write('second')
    t.close()
    await withTimeout(p.lost, T)
  })

  it('the BufferedProtocol base class refuses to run without a getBuffer', async () => {
    const ex = watchExceptions()
    const peer = await sender(Buffer.from('x'), { end: false })
    class Incomplete extends BufferedProtocol {
      lost: Promise<Error | null>
      #resolve!: (e: Error | null) => void
      constructor () { super(); this.lost = new Promise((resolve) => { this.#resolve = resolve }) }
      override connectionLost (exc: Error | null): void { this.#resolve(exc) }
    }
    const [, p] = await createConnection(() => new Incomplete(), '127.0.0.1', peer.port)
    expect((await withTimeout(p.lost, T))!.message).toMatch(/must implement getBuffer/)
    expect(ex.take()).toHaveLength(1)
  })
})

describe('setProtocol between Protocol and BufferedProtocol', () => {
  /** Switches to the next protocol after every `every` bytes; returns all of them. */
  function chain (count: number, every: number): Array<RecordingProtocol | RecordingBufferedProtocol> {
    const list: Array<RecordingProtocol | RecordingBufferedProtocol> = []
    let total = 0
    const hook = (n: number, t: Transport): void => {
      total += n
      const index = Math.min(Math.floor(total / every), count - 1)
      const next = list[index]!
      if (t.getProtocol() !== next) t.setProtocol(next)
    }
    for (let i = 0; i < count; i++) {
      list.push(i % 2 === 0
        ? new RecordingProtocol({ onData: (d, t) => hook(d.length, t) })
        : new RecordingBufferedProtocol({ bufferSize: 3000 + i, onBufferUpdated: (n, t) => hook(n, t) }))
    }
    // the later protocols get their transport through the first one
    const first = list[0]!
    for (const p of list.slice(1)) Object.defineProperty(p, 'transport', { get: () => first.transport })
    return list
  }

  for (const side of ['client', 'server'] as const) {
    it(`switches both ways on the ${side} side without losing or reordering a byte`, async () => {
      watchExceptions()
      const data = payload(8 * MiB)
      const list = chain(8, MiB)
      let t: Transport
      if (side === 'client') {
        const peer = await sender(data)
        // the chain starts with a stream Protocol: the buffered family's types want a
        // BufferedProtocol, but the transport takes either (and switches between them)
        ;[t] = await createConnection(() => list[0] as RecordingBufferedProtocol, '127.0.0.1', peer.port)
      } else {
        const { port } = await bufferedServer({}, () => list[0] as never)
        sendTo(port, data)
        t = await withTimeout(list[0]!.made, T)
      }
      const last = list.at(-1)!
      await withTimeout(last.lost, T)
      const all = Buffer.concat(list.map((p) => p.received()))
      expect(all.length).toBe(data.length)
      expect(sha256(all)).toBe(sha256(data))
      expect(list.every((p) => p.bytes > 0)).toBe(true)
      expect(t.getProtocol()).toBe(null)
    })
  }
})
