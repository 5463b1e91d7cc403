import { describe, expect, it } from 'vitest'
import { RecordingProtocol, assertTrace, withTimeout } from '@wireline/core/testing'
import { createConnection, createServer } from '../src/index.js'
import { acceptPath, cleanupServer, collect, portOf, rawClient, rawServer, watchExceptions } from './helpers.js'

const T = 10_000

describe('half-close, client side', () => {
  it('eofReceived returning true keeps the transport open for writing; reading stops', async () => {
    watchExceptions()
    const peer = await rawServer()
    const [t, p] = await createConnection(() => new RecordingProtocol({ eofReturn: true }), '127.0.0.1', peer.port)
    const s = await peer.next()
    const got = collect(s)
    s.end('request')
    await withTimeout(p.eof, T)
    expect(t.isClosing()).toBe(false)
    expect(t.isReading()).toBe(false) // asyncio says True here (a quirk); wireline reports the truth
    t.write('reply after EOF')
    t.close()
    await withTimeout(p.lost, T)
    expect((await withTimeout(got, T)).toString()).toBe('reply after EOF')
    expect(p.received().toString()).toBe('request')
    expect(p.trace()).toEqual(['connectionMade', 'dataReceived', 'eofReceived', 'connectionLost'])
    expect(p.lostWith).toBe(null)
  })

  it('eofReceived returning a falsy value closes the transport: flush, then connectionLost(null)', async () => {
    const peer = await rawServer()
    const [t, p] = await createConnection(() => new RecordingProtocol({
      onEof: (tr) => { tr.write('last words') },
    }), '127.0.0.1', peer.port)
    const s = await peer.next()
    const got = collect(s)
    s.end()
    await withTimeout(p.lost, T)
    expect(t.isClosing()).toBe(true)
    expect((await withTimeout(got, T)).toString()).toBe('last words')
    expect(p.trace()).toEqual(['connectionMade', 'eofReceived', 'connectionLost'])
  })

  it('writeEof flushes then sends FIN; reading goes on until the peer closes', async () => {
    const peer = await rawServer()
    const [t, p] = await createConnection(() => new RecordingProtocol(), '127.0.0.1', peer.port)
    const s = await peer.next()
    const received: Buffer[] = []
    s.on('data', (c: Buffer) => received.push(c))
    const peerEof = new Promise<void>((resolve) => s.once('end', resolve))
    t.write('all of it')
    t.writeEof()
    await withTimeout(peerEof, T)
    expect(Buffer.concat(received).toString()).toBe('all of it')
    expect(t.isClosing()).toBe(false)
    s.end('the answer') // the peer answers after our FIN, then closes
    await withTimeout(p.lost, T)
    expect(p.received().toString()).toBe('the answer')
    expect(p.trace()).toEqual(['connectionMade', 'dataReceived', 'eofReceived', 'connectionLost'])
  })

  it('writeEof with buffered data sends the FIN only after everything', async () => {
    const peer = await rawServer({ pauseOnConnect: true })
    const [t, p] = await createConnection(() => new RecordingProtocol(), '127.0.0.1', peer.port)
    const s = await peer.next()
    const big = Buffer.alloc(4 * 1024 * 1024, 7)
    t.write(big)
    expect(t.getWriteBufferSize()).toBeGreaterThan(0)
    t.writeEof()
    const got = collect(s)
    s.resume()
    expect((await withTimeout(got, T)).length).toBe(big.length)
    s.end()
    await withTimeout(p.lost, T)
  })
})

for (const fast of [true, false]) {
  describe(`half-close, server side (accepted sockets read via ${fast ? 'onread' : "'data' events"})`, () => {
    it('a server protocol that keeps the half-open connection answers after the client FIN', async () => {
      acceptPath(fast)
      watchExceptions()
      const serverSide: RecordingProtocol[] = []
      const server = cleanupServer(await createServer(() => {
        const p = new RecordingProtocol({
          eofReturn: true,
          onEof: (t) => { t.write(`got ${serverSide[0]!.bytes} bytes`); t.close() },
        })
        serverSide.push(p)
        return p
      }, '127.0.0.1', 0))
      const [t, p] = await createConnection(() => new RecordingProtocol(), '127.0.0.1', portOf(server))
      t.write('0123456789')
      t.writeEof()
      await withTimeout(p.lost, T)
      expect(p.received().toString()).toBe('got 10 bytes')
      const sp = serverSide[0]!
      await withTimeout(sp.lost, T)
      expect(sp.trace()).toEqual(['connectionMade', 'dataReceived', 'eofReceived', 'connectionLost'])
      expect(p.trace()).toEqual(['connectionMade', 'dataReceived', 'eofReceived', 'connectionLost'])
      assertTrace(sp.events, 'stream')
    })

    it('a raw client that half-closes gets the reply; eofReceived false closes the server side', async () => {
      acceptPath(fast)
      const serverSide: RecordingProtocol[] = []
      const server = cleanupServer(await createServer(() => {
        const p = new RecordingProtocol({ onEof: (t) => t.write('bye') })
        serverSide.push(p)
        return p
      }, '127.0.0.1', 0))
      const c = await rawClient(portOf(server))
      const got = collect(c)
      c.end('hello')
      expect((await withTimeout(got, T)).toString()).toBe('bye')
      const sp = serverSide[0]!
      await withTimeout(sp.lost, T)
      expect(sp.received().toString()).toBe('hello')
      expect(sp.lostWith).toBe(null)
    })
  })
}
