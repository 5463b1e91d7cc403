import * as net from 'node:net'
import { describe, expect, it } from 'vitest'
import { RecordingProtocol, assertTrace, withTimeout } from '@wireline/core/testing'
import { createConnection, createServer } from '../src/index.js'
import {
  cleanupServer, cleanupTransport, collect, payload, portOf, rawClient, rawServer, sha256, turn, watchExceptions, Echo } from './helpers.js'

const T = 10_000

describe('createConnection', () => {
  it('calls connectionMade before the promise resolves, and only then reads', async () => {
    watchExceptions()
    const peer = await rawServer()
    const order: string[] = []
    const pending = createConnection(() => new RecordingProtocol({
      onConnectionMade: () => order.push('connectionMade'),
      onData: () => order.push('dataReceived'),
    }), '127.0.0.1', peer.port)
    const s = await peer.next()
    s.write('hello') // sent as soon as the server accepts, before the client's promise resolves
    const [t, p] = await withTimeout(pending, T)
    order.push('resolved')
    cleanupTransport(t)
    await withTimeout(p.untilBytes(5), T)
    expect(order).toEqual(['connectionMade', 'resolved', 'dataReceived'])
    expect(p.transport).toBe(t)
  })

  it('resolves to [transport, protocol] with the protocol the factory made, called once', async () => {
    const peer = await rawServer()
    let calls = 0
    const made = new RecordingProtocol()
    const [t, p] = await createConnection(() => { calls++; return made }, '127.0.0.1', peer.port)
    cleanupTransport(t)
    expect(p).toBe(made)
    expect(calls).toBe(1)
    expect(t.getProtocol()).toBe(made)
  })

  it('answers extra info: peername, sockname as [host, port], the socket, defaults for unknown keys', async () => {
    const peer = await rawServer()
    const [t] = await createConnection(() => new RecordingProtocol(), '127.0.0.1', peer.port)
    const s = await peer.next()
    expect(t.getExtraInfo('peername')).toEqual(['127.0.0.1', peer.port])
    expect(t.getExtraInfo('sockname')).toEqual(['127.0.0.1', s.remotePort])
    expect(t.getExtraInfo('socket')).toBeInstanceOf(net.Socket)
    expect(t.getExtraInfo('nope')).toBe(undefined)
    expect(t.getExtraInfo('nope', 42)).toBe(42)
    t.close()
    await (t.getProtocol() as RecordingProtocol).lost
    // still answers after the connection is closed
    expect(t.getExtraInfo('peername')).toEqual(['127.0.0.1', peer.port])
  })

  it('connects over IPv6 loopback', async () => {
    const server = cleanupServer(await createServer(() => new Echo(), '::1', 0))
    const port = portOf(server)
    expect(server.addresses()).toEqual([['::1', port]])
    const [t, p] = await createConnection(() => new RecordingProtocol(), '::1', port)
    cleanupTransport(t)
    expect(t.getExtraInfo('peername')).toEqual(['::1', port])
    t.write('v6')
    await withTimeout(p.untilBytes(2), T)
    expect(p.received().toString()).toBe('v6')
  })

  it('binds the local end with localAddr', async () => {
    const peer = await rawServer()
    const [t] = await createConnection(() => new RecordingProtocol(), '127.0.0.1', peer.port, { localAddr: ['127.0.0.1', 0] })
    cleanupTransport(t)
    const [host, port] = t.getExtraInfo('sockname') as [string, number]
    expect(host).toBe('127.0.0.1')
    expect(port).toBeGreaterThan(0)
    // a local port in use: Node's bind error, no callback
    let called = false
    const err = await createConnection(() => { called = true; return new RecordingProtocol() }, '127.0.0.1', peer.port,
      { localAddr: ['127.0.0.1', port] }).catch((e: unknown) => e)
    // Linux says EADDRINUSE or, for the same 4-tuple, EADDRNOTAVAIL
    expect(['EADDRINUSE', 'EADDRNOTAVAIL']).toContain((err as NodeJS.ErrnoException).code)
    expect(called).toBe(false)
  })

  it('refuses a localAddr of another family than every remote address', async () => {
    const peer = await rawServer()
    const err = await createConnection(() => new RecordingProtocol(), '127.0.0.1', peer.port, { localAddr: ['::1', 0] })
      .catch((e: unknown) => e)
    expect((err as Error).message).toMatch(/no matching local address with family=IPv4/)
  })

  it('rejects at once with an AbortError when the signal is already aborted, or aborted while resolving', async () => {
    const peer = await rawServer()
    let called = false
    const factory = (): RecordingProtocol => { called = true; return new RecordingProtocol() }
    const ac = new AbortController()
    ac.abort()
    const e1 = await createConnection(factory, '127.0.0.1', peer.port, { signal: ac.signal }).catch((e: unknown) => e)
    expect((e1 as NodeJS.ErrnoException).code).toBe('ABORT_ERR')
    const ac2 = new AbortController()
    const pending = createConnection(factory, 'localhost', peer.port, { signal: ac2.signal })
    ac2.abort(new Error('changed my mind'))
    const e2 = await pending.catch((e: unknown) => e)
    expect((e2 as Error).name).toBe('AbortError')
    expect(((e2 as Error).cause as Error).message).toBe('changed my mind')
    expect(called).toBe(false)
  })

  it('validates its arguments at the call', async () => {
    const factory = (): RecordingProtocol => new RecordingProtocol()
    expect(() => createConnection('nope' as never, '127.0.0.1', 1)).toThrow(TypeError)
    expect(() => createConnection(factory, 5 as never, 1)).toThrow(TypeError)
    expect(() => createConnection(factory, '127.0.0.1', 70000)).toThrow(RangeError)
    expect(() => createConnection(factory, '127.0.0.1', -1)).toThrow(RangeError)
    expect(() => createConnection(factory, '127.0.0.1', 1, { happyEyeballsDelay: -5 })).toThrow(RangeError)
    expect(() => createConnection(factory, '127.0.0.1', 1, { localAddr: 'x' as never })).toThrow(TypeError)
    expect(() => createConnection(factory, '127.0.0.1', 1, { signal: {} as never })).toThrow(TypeError)
  })
})

describe('data transfer', () => {
  it('echoes, with the trace of a full connection on both ends', async () => {
    watchExceptions()
    const serverProtocols: RecordingProtocol[] = []
    const server = cleanupServer(await createServer(() => {
      const p = new RecordingProtocol({ onData: (d, t) => t.write(d) })
      serverProtocols.push(p)
      return p
    }, '127.0.0.1', 0))
    const [t, p] = await createConnection(() => new RecordingProtocol(), '127.0.0.1', portOf(server))
    t.write('ping')
    await withTimeout(p.untilBytes(4), T)
    expect(p.received().toString()).toBe('ping')
    t.close()
    expect(t.isClosing()).toBe(true)
    expect(t.isReading()).toBe(false)
    await withTimeout(p.lost, T)
    const sp = serverProtocols[0]!
    await withTimeout(sp.lost, T)
    expect(p.trace()).toEqual(['connectionMade', 'dataReceived', 'connectionLost'])
    expect(sp.trace()).toEqual(['connectionMade', 'dataReceived', 'eofReceived', 'connectionLost'])
    expect(p.lostWith).toBe(null)
    expect(sp.lostWith).toBe(null)
    assertTrace(p.events, 'stream')
    assertTrace(sp.events, 'stream')
    expect(t.getProtocol()).toBe(null)
    expect(t.isClosing()).toBe(true)
  })

  it('8 MiB written then close() at once arrives whole (client to server)', async () => {
    watchExceptions()
    const up = payload(8 * 1024 * 1024)
    const serverSide: RecordingProtocol[] = []
    const server = cleanupServer(await createServer(() => {
      const p = new RecordingProtocol()
      serverSide.push(p)
      return p
    }, '127.0.0.1', 0))
    let pausedInsideWrite = false
    const [t, p] = await createConnection(() => new RecordingProtocol({
      onPauseWriting: () => { pausedInsideWrite = true },
    }), '127.0.0.1', portOf(server))
    t.write(up)
    // the kernel cannot take 8 MiB at once: the rest is buffered, and over the high mark,
    // and pauseWriting was called synchronously inside that write()
    expect(t.getWriteBufferSize()).toBeGreaterThan(65536)
    expect(pausedInsideWrite).toBe(true)
    t.close()
    await withTimeout(p.lost, T)
    const sp = serverSide[0]!
    await withTimeout(sp.lost, T)
    expect(sp.bytes).toBe(up.length)
    expect(sha256(sp.received())).toBe(sha256(up))
    expect(p.lostWith).toBe(null)
    expect(sp.lostWith).toBe(null)
    expect(sp.trace()).toEqual(['connectionMade', 'dataReceived', 'eofReceived', 'connectionLost'])
    assertTrace(p.events, 'stream')
  })

  it('8 MiB written then close() at once arrives whole (server to client)', async () => {
    watchExceptions()
    const down = payload(8 * 1024 * 1024)
    const server = cleanupServer(await createServer(() => new RecordingProtocol({
      onConnectionMade: (t) => { t.write(down); t.close() },
    }), '127.0.0.1', 0))
    const [, p] = await createConnection(() => new RecordingProtocol(), '127.0.0.1', portOf(server))
    await withTimeout(p.lost, T)
    expect(p.bytes).toBe(down.length)
    expect(sha256(p.received())).toBe(sha256(down))
    expect(p.lostWith).toBe(null)
    expect(p.trace()).toEqual(['connectionMade', 'dataReceived', 'eofReceived', 'connectionLost'])
  })

  it('writelines sends every chunk in order (generators too) and checks flow control', async () => {
    const peer = await rawServer()
    const [t, p] = await createConnection(() => new RecordingProtocol(), '127.0.0.1', peer.port)
    const s = await peer.next()
    const got = collect(s)
    t.writelines(['a', new Uint8Array([98]), Buffer.from('c')])
    t.writelines((function * () { yield 'd'; yield ''; yield new TextEncoder().encode('e') })())
    t.writelines([])
    t.close()
    expect((await withTimeout(got, T)).toString()).toBe('abcde')
    await p.lost
  })

  it('setProtocol switches the protocol for the next callbacks', async () => {
    const server = cleanupServer(await createServer(() => new Echo(), '127.0.0.1', 0))
    const second = new RecordingProtocol()
    const first = new RecordingProtocol({
      onData: (_d, t) => { t.setProtocol(second); t.write('two') },
    })
    const [t] = await createConnection(() => first, '127.0.0.1', portOf(server))
    t.write('one')
    await withTimeout(second.untilBytes(3), T)
    expect(first.received().toString()).toBe('one')
    expect(second.received().toString()).toBe('two')
    expect(t.getProtocol()).toBe(second)
    t.close()
    await withTimeout(second.lost, T)
    expect(first.trace()).toEqual(['connectionMade', 'dataReceived'])
    expect(second.trace()).toEqual(['dataReceived', 'connectionLost'])
    expect(() => t.setProtocol(null as never)).toThrow(TypeError)
  })
})

describe('reading', () => {
  it('pauseReading in connectionMade holds every delivery until resumeReading, then delivers in order', async () => {
    const peer = await rawServer()
    const [t, p] = await createConnection(() => new RecordingProtocol({
      onConnectionMade: (tr) => { tr.pauseReading() },
    }), '127.0.0.1', peer.port)
    expect(t.isReading()).toBe(false)
    const s = await peer.next()
    await new Promise<void>((resolve) => s.write('first', () => resolve()))
    await new Promise<void>((resolve) => s.write('second', () => resolve()))
    // proving an absence: give the loop a bounded chance to (wrongly) deliver
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(p.bytes).toBe(0)
    t.pauseReading() // idempotent
    t.resumeReading()
    t.resumeReading()
    expect(t.isReading()).toBe(true)
    await withTimeout(p.untilBytes(11), T)
    expect(p.received().toString()).toBe('firstsecond')
    t.close()
    t.pauseReading() // no-ops on a closing transport
    t.resumeReading()
    expect(t.isReading()).toBe(false)
  })

  it('pauses inside dataReceived and holds the EOF too until resumed', async () => {
    const peer = await rawServer()
    let first = true
    const [t, p] = await createConnection(() => new RecordingProtocol({
      onData: (_d, tr) => { if (first) tr.pauseReading(); first = false },
    }), '127.0.0.1', peer.port)
    const s = await peer.next()
    s.write('x')
    await withTimeout(p.untilBytes(1), T)
    s.end('yz')
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(p.trace()).toEqual(['connectionMade', 'dataReceived'])
    t.resumeReading()
    await withTimeout(p.lost, T)
    expect(p.received().toString()).toBe('xyz')
    expect(p.trace()).toEqual(['connectionMade', 'dataReceived', 'eofReceived', 'connectionLost'])
  })
})

describe('close and abort', () => {
  it('close() is idempotent, never calls connectionLost synchronously, and calls it once', async () => {
    const peer = await rawServer()
    const [t, p] = await createConnection(() => new RecordingProtocol(), '127.0.0.1', peer.port)
    t.close()
    t.close()
    expect(p.count('connectionLost')).toBe(0)
    await withTimeout(p.lost, T)
    t.close()
    t.abort()
    await turn()
    expect(p.count('connectionLost')).toBe(1)
  })

  it('abort() drops the buffer at once, skips resumeWriting, and the peer sees the end', async () => {
    const peer = await rawServer({ pauseOnConnect: true })
    const [t, p] = await createConnection(() => new RecordingProtocol(), '127.0.0.1', peer.port)
    const s = await peer.next()
    while (p.count('pauseWriting') === 0) t.write(Buffer.alloc(256 * 1024))
    expect(t.getWriteBufferSize()).toBeGreaterThan(0)
    t.abort()
    expect(t.getWriteBufferSize()).toBe(0)
    expect(t.isClosing()).toBe(true)
    expect(p.count('connectionLost')).toBe(0)
    t.write('dropped') // after abort: dropped, no throw
    await withTimeout(p.lost, T)
    expect(p.trace()).toEqual(['connectionMade', 'pauseWriting', 'connectionLost'])
    expect(p.lostWith).toBe(null)
    s.resume()
    const ended = await withTimeout(new Promise<string>((resolve) => {
      s.once('end', () => resolve('end'))
      s.once('close', () => resolve('close'))
    }), T)
    expect(['end', 'close']).toContain(ended)
  })

  it('close() with buffered data flushes it before connectionLost(null)', async () => {
    const peer = await rawServer({ pauseOnConnect: true })
    const [t, p] = await createConnection(() => new RecordingProtocol(), '127.0.0.1', peer.port)
    const s = await peer.next()
    const data = payload(4 * 1024 * 1024)
    t.write(data)
    expect(t.getWriteBufferSize()).toBeGreaterThan(0)
    t.close()
    await turn()
    expect(p.count('connectionLost')).toBe(0) // still flushing: the peer is not reading
    const got = collect(s)
    s.resume()
    expect(sha256(await withTimeout(got, T))).toBe(sha256(data))
    await withTimeout(p.lost, T)
    expect(p.lostWith).toBe(null)
  })

  it('isClosing() turns true when the peer closes', async () => {
    const peer = await rawServer()
    const [t, p] = await createConnection(() => new RecordingProtocol(), '127.0.0.1', peer.port)
    expect(t.isClosing()).toBe(false)
    const s = await peer.next()
    s.end()
    await withTimeout(p.lost, T)
    expect(t.isClosing()).toBe(true)
    expect(p.trace()).toEqual(['connectionMade', 'eofReceived', 'connectionLost'])
  })
})

describe('writes: arguments and state', () => {
  it('rejects anything but bytes or a string with TypeError, and writes nothing of a bad writelines', async () => {
    const peer = await rawServer()
    const [t, p] = await createConnection(() => new RecordingProtocol(), '127.0.0.1', peer.port)
    const s = await peer.next()
    const got = collect(s)
    for (const bad of [1, null, undefined, {}, [1], true]) {
      let err: unknown
      try { t.write(bad as never) } catch (e) { err = e }
      expect(err).toBeInstanceOf(TypeError)
      expect((err as NodeJS.ErrnoException).code).toBe('ERR_INVALID_ARG_TYPE')
    }
    expect(() => t.writelines(['ok', 5] as never)).toThrow(TypeError)
    expect(() => t.writelines('abc' as never)).toThrow(TypeError)
    expect(() => t.writelines(7 as never)).toThrow(TypeError)
    t.write('')
    t.write(new Uint8Array(0))
    expect(t.getWriteBufferSize()).toBe(0)
    t.write(new Uint16Array([0x6261])) // any ArrayBufferView: bytes 'a','b' (little-endian)
    t.write(new Uint8Array([99]).buffer) // an ArrayBuffer
    t.write('dé')
    t.close()
    expect((await withTimeout(got, T)).toString()).toBe('abcdé')
    await p.lost
  })

  it('write after writeEof throws (empty data and after close too); writeEof is idempotent', async () => {
    const peer = await rawServer()
    const [t, p] = await createConnection(() => new RecordingProtocol(), '127.0.0.1', peer.port)
    const s = await peer.next()
    const got = collect(s)
    t.write('before')
    expect(t.canWriteEof()).toBe(true)
    t.writeEof()
    t.writeEof()
    for (const data of ['x', '', new Uint8Array(0)]) {
      let err: unknown
      try { t.write(data) } catch (e) { err = e }
      expect((err as NodeJS.ErrnoException).code).toBe('WL_ERR_WRITE_AFTER_EOF')
      expect((err as Error).name).toBe('WriteAfterEofError')
    }
    expect(() => t.writelines(['x'])).toThrow(/after writeEof/)
    expect((await withTimeout(got, T)).toString()).toBe('before')
    t.close()
    expect(() => t.write('x')).toThrow(/after writeEof/)
    await withTimeout(p.lost, T)
  })

  it('write after close() or after the connection is lost sends nothing and does not throw', async () => {
    const peer = await rawServer()
    const [t, p] = await createConnection(() => new RecordingProtocol(), '127.0.0.1', peer.port)
    const s = await peer.next()
    const got = collect(s)
    t.write('kept')
    t.close()
    t.write('dropped')
    t.writelines(['dropped'])
    t.writeEof() // no-op after close
    await withTimeout(p.lost, T)
    t.write('dropped')
    t.writelines(['dropped'])
    expect((await withTimeout(got, T)).toString()).toBe('kept')
  })
})

describe('errors', () => {
  it('rejects with ECONNREFUSED and calls no protocol callback', async () => {
    const { closedPort } = await import('./helpers.js')
    const port = await closedPort()
    let called = false
    const err = await createConnection(() => { called = true; return new RecordingProtocol() }, '127.0.0.1', port)
      .catch((e: unknown) => e)
    expect((err as NodeJS.ErrnoException).code).toBe('ECONNREFUSED')
    expect(called).toBe(false)
  })

  it('rejects with ENOTFOUND for a name that does not resolve', async () => {
    const err = await createConnection(() => new RecordingProtocol(), 'no-such-host.invalid', 80).catch((e: unknown) => e)
    expect(['ENOTFOUND', 'EAI_AGAIN']).toContain((err as NodeJS.ErrnoException).code)
  })

  it("a peer's reset ends the connection with connectionLost(ECONNRESET), not reported", async () => {
    watchExceptions()
    const peer = await rawServer()
    const [, p] = await createConnection(() => new RecordingProtocol(), '127.0.0.1', peer.port)
    const s = await peer.next()
    s.resetAndDestroy()
    const err = await withTimeout(p.lost, T)
    expect((err as NodeJS.ErrnoException).code).toBe('ECONNRESET')
    expect(p.trace()).toEqual(['connectionMade', 'connectionLost'])
  })

  it('a throwing dataReceived is fatal: reported, aborted, connectionLost(the same error)', async () => {
    const ex = watchExceptions()
    const peer = await rawServer()
    const boom = new Error('boom')
    const [t, p] = await createConnection(() => new RecordingProtocol({ throwIn: { callback: 'dataReceived', error: boom } }),
      '127.0.0.1', peer.port)
    const s = await peer.next()
    const ended = collect(s)
    s.write('x')
    expect(await withTimeout(p.lost, T)).toBe(boom)
    expect(p.trace()).toEqual(['connectionMade', 'dataReceived', 'connectionLost'])
    const reports = ex.take() as Array<Record<string, unknown>>
    expect(reports).toHaveLength(1)
    expect(reports[0]).toMatchObject({ message: 'Fatal error: protocol.dataReceived() call failed.', exception: boom, transport: t, protocol: p })
    await withTimeout(ended, T) // the peer sees the connection end
  })

  it('a throwing eofReceived is fatal the same way', async () => {
    const ex = watchExceptions()
    const peer = await rawServer()
    const boom = new Error('eof boom')
    const [, p] = await createConnection(() => new RecordingProtocol({ throwIn: { callback: 'eofReceived', error: boom } }),
      '127.0.0.1', peer.port)
    const s = await peer.next()
    s.end()
    expect(await withTimeout(p.lost, T)).toBe(boom)
    expect((ex.take()[0] as Record<string, unknown>).message).toBe('Fatal error: protocol.eofReceived() call failed.')
  })

  it('a throwing connectionMade rejects createConnection with that error, then connectionLost(that error)', async () => {
    const ex = watchExceptions()
    const peer = await rawServer()
    const boom = new Error('made boom')
    const p = new RecordingProtocol({ throwIn: { callback: 'connectionMade', error: boom } })
    const err = await createConnection(() => p, '127.0.0.1', peer.port).catch((e: unknown) => e)
    expect(err).toBe(boom)
    expect(await withTimeout(p.lost, T)).toBe(boom)
    expect(p.trace()).toEqual(['connectionMade', 'connectionLost'])
    expect((ex.take()[0] as Record<string, unknown>).message).toBe('Fatal error: protocol.connectionMade() call failed.')
  })

  it('a throwing pauseWriting/resumeWriting is reported and the connection goes on', async () => {
    const ex = watchExceptions()
    const peer = await rawServer({ pauseOnConnect: true })
    const [t, p] = await createConnection(() => new RecordingProtocol({
      onPauseWriting: () => { throw new Error('pause boom') },
      onResumeWriting: () => { throw new Error('resume boom') },
    }), '127.0.0.1', peer.port)
    const s = await peer.next()
    while (p.count('pauseWriting') === 0) t.write(Buffer.alloc(256 * 1024))
    s.resume()
    await withTimeout(p.until(() => p.count('resumeWriting') === 1), T)
    expect(t.isClosing()).toBe(false)
    expect((ex.take() as Array<{ message: string }>).map((c) => c.message))
      .toEqual(['protocol.pauseWriting() failed', 'protocol.resumeWriting() failed'])
    t.write('still works')
    t.close()
    await withTimeout(p.lost, T)
    expect(p.lostWith).toBe(null)
  })

  it('a throwing connectionLost is reported; the transport is released all the same', async () => {
    const ex = watchExceptions()
    const server = cleanupServer(await createServer(() => new RecordingProtocol({
      onConnectionLost: () => { throw new Error('lost boom') },
    }), '127.0.0.1', 0))
    const c = await rawClient(portOf(server))
    c.end()
    await withTimeout(new Promise((resolve) => c.once('close', resolve)), T)
    server.close()
    await withTimeout(server.waitClosed(), T) // the server detached the connection anyway
    expect((ex.take() as Array<{ message: string }>).map((x) => x.message)).toEqual(['protocol.connectionLost() failed'])
  })
})
