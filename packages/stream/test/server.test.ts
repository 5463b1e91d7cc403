import * as net from 'node:net'
import { describe, expect, it } from 'vitest'
import { reusePortSupported } from '@wireline/core/machinery'
import { RecordingProtocol, assertTrace, withTimeout } from '@wireline/core/testing'
import {
  InvalidStateError, ServerClosedError, createConnection, createServer,
} from '../src/index.js'
import { acceptPath, cleanupServer, closedPort, collect, ended, payload, portOf, rawClient, sha256, turn, watchExceptions, Echo } from './helpers.js'

// Bun (see the guide's Bun section): where it differs from Node, the test says so beside the check
const onBun = 'Bun' in globalThis

const T = 10_000

/** A server whose protocols are recorded, in accept order. */
async function recordingServer (options: object = {}, host: string | string[] = '127.0.0.1', make?: () => RecordingProtocol) {
  const protocols: RecordingProtocol[] = []
  const waiters: Array<{ n: number, resolve: () => void }> = []
  const server = cleanupServer(await createServer(() => {
    const p = make?.() ?? new RecordingProtocol({ onData: (d, t) => t.write(d) })
    protocols.push(p)
    for (const w of waiters.filter((x) => protocols.length >= x.n)) w.resolve()
    return p
  }, host, 0, options))
  /** Resolves once `n` connections were accepted. */
  const accepted = async (n: number): Promise<void> => {
    if (protocols.length >= n) return
    await withTimeout(new Promise<void>((resolve) => waiters.push({ n, resolve })), T)
  }
  return { server, protocols, get port () { return portOf(server) }, accepted }
}

async function echoRoundTrip (port: number, message = 'ping'): Promise<string> {
  const c = await rawClient(port)
  const got = collect(c)
  c.end(message)
  return (await withTimeout(got, T)).toString()
}

for (const fast of [true, false]) {
  describe(`accepted connections (read via ${fast ? 'onread, the fast path' : "'data' events, the fallback"})`, () => {
    it('uses the path it says, and echoes 8 MiB intact', async () => {
      acceptPath(fast)
      watchExceptions()
      const { protocols, port } = await recordingServer()
      const data = payload(8 * 1024 * 1024)
      const [t, p] = await createConnection(() => new RecordingProtocol(), '127.0.0.1', port)
      t.write(data)
      await withTimeout(p.untilBytes(data.length), T)
      expect(sha256(p.received())).toBe(sha256(data))
      const sp = protocols[0]!
      const socket = sp.transport!.getExtraInfo('socket') as net.Socket
      // the fallback reads through a 'data' listener; the fast path has none (Bun has no
      // onread for accepted sockets: there the fallback always runs)
      expect(socket.listenerCount('data')).toBe(fast && !onBun ? 0 : 1)
      expect(sp.transport!.getExtraInfo('peername')).toEqual(t.getExtraInfo('sockname'))
      expect(sp.transport!.getExtraInfo('sockname')).toEqual(['127.0.0.1', port])
      t.close()
      await withTimeout(sp.lost, T)
      assertTrace(sp.events, 'stream')
    })

    it('pauseReading on the server side holds data until resumed', async () => {
      acceptPath(fast)
      const { protocols, port, accepted } = await recordingServer({}, '127.0.0.1',
        () => new RecordingProtocol({ onConnectionMade: (t) => t.pauseReading() }))
      const c = await rawClient(port)
      await withTimeout(new Promise<void>((resolve) => c.write('abc', () => resolve())), T)
      await accepted(1)
      await new Promise((resolve) => setTimeout(resolve, 50)) // proving an absence
      const sp = protocols[0]!
      expect(sp.bytes).toBe(0)
      sp.transport!.resumeReading()
      await withTimeout(sp.untilBytes(3), T)
      expect(sp.received().toString()).toBe('abc')
    })

    it("a peer's reset reaches the server protocol as connectionLost(ECONNRESET)", async () => {
      acceptPath(fast)
      watchExceptions()
      const { protocols, port, accepted } = await recordingServer()
      const c = await rawClient(port)
      c.write('x')
      await accepted(1)
      await withTimeout(protocols[0]!.untilBytes(1), T)
      c.resetAndDestroy()
      const err = await withTimeout(protocols[0]!.lost, T)
      expect((err as NodeJS.ErrnoException).code).toBe('ECONNRESET')
    })
  })
}

describe('Server', () => {
  it('port 0 picks a free port, visible in addresses(); isServing() is true', async () => {
    const { server, port } = await recordingServer()
    expect(port).toBeGreaterThan(0)
    expect(server.addresses()).toEqual([['127.0.0.1', port]])
    expect(server.isServing()).toBe(true)
    expect(await echoRoundTrip(port)).toBe('ping')
  })

  it('without a host listens on every interface (IPv4 and IPv6 loopback both reach it)', async () => {
    const server = cleanupServer(await createServer(() => new Echo()))
    const port = portOf(server)
    expect(await echoRoundTrip(port)).toBe('ping')
    const [t, p] = await createConnection(() => new RecordingProtocol(), '::1', port)
    t.write('v6')
    await withTimeout(p.untilBytes(2), T)
    t.close()
  })

  it('several hosts share the port the first one got', async () => {
    const { server, port } = await recordingServer({}, ['127.0.0.1', '::1', '127.0.0.1'])
    expect(server.addresses()).toEqual([['127.0.0.1', port], ['::1', port]])
    const [t, p] = await createConnection(() => new RecordingProtocol(), '::1', port)
    t.write('six')
    await withTimeout(p.untilBytes(3), T)
    t.close()
  })

  it('startServing: false binds nothing until startServing() (idempotent)', async () => {
    const server = cleanupServer(await createServer(() => new Echo(), '127.0.0.1', 0, { startServing: false }))
    expect(server.isServing()).toBe(false)
    expect(server.addresses()).toEqual([])
    await Promise.all([server.startServing(), server.startServing()])
    await server.startServing()
    expect(server.isServing()).toBe(true)
    expect(server.addresses()).toHaveLength(1)
    expect(await echoRoundTrip(portOf(server))).toBe('ping')
  })

  it('close() stops listening but open connections go on; waitClosed() waits for them', async () => {
    watchExceptions()
    const { server, protocols, port } = await recordingServer()
    const [t, p] = await createConnection(() => new RecordingProtocol(), '127.0.0.1', port)
    t.write('one')
    await withTimeout(p.untilBytes(3), T)
    server.close()
    server.close() // idempotent
    expect(server.isServing()).toBe(false)
    expect(server.addresses()).toEqual([])
    let waited = false
    const closed = server.waitClosed().then(() => { waited = true })
    // new connections are refused
    const refused = await createConnection(() => new RecordingProtocol(), '127.0.0.1', port).catch((e: unknown) => e)
    expect((refused as NodeJS.ErrnoException).code).toBe('ECONNREFUSED')
    // the open one still works
    t.write('two')
    await withTimeout(p.untilBytes(6), T)
    expect(p.received().toString()).toBe('onetwo')
    await turn()
    expect(waited).toBe(false)
    t.close()
    await withTimeout(closed, T)
    expect(protocols[0]!.lostWith).toBe(null)
    await server.waitClosed() // several waiters, and after the fact
  })

  it('waitClosed() on an open server waits until it is closed', async () => {
    const { server } = await recordingServer()
    let done = false
    const closed = server.waitClosed().then(() => { done = true })
    await turn()
    expect(done).toBe(false)
    server.close()
    await withTimeout(closed, T)
  })

  it('closeClients() closes every accepted connection (flushing), abortClients() aborts them', async () => {
    const { server, protocols, port, accepted } = await recordingServer()
    const clients = await Promise.all([1, 2, 3].map(async () => await createConnection(() => new RecordingProtocol(), '127.0.0.1', port)))
    await accepted(3)
    server.closeClients()
    for (const [, p] of clients) {
      await withTimeout(p.lost, T)
      expect(p.trace()).toEqual(['connectionMade', 'eofReceived', 'connectionLost'])
    }
    for (const sp of protocols) expect(sp.lostWith).toBe(null)

    const more = await Promise.all([1, 2].map(async () => await createConnection(() => new RecordingProtocol(), '127.0.0.1', port)))
    await accepted(5)
    server.abortClients()
    for (const [, p] of more) await withTimeout(p.lost, T)
    for (const sp of protocols.slice(3)) {
      await withTimeout(sp.lost, T)
      expect(sp.trace()).toEqual(['connectionMade', 'connectionLost'])
    }
    server.close()
    await withTimeout(server.waitClosed(), T)
  })

  it('serveForever() serves until close() and then resolves; a second concurrent call and a call on a closed server reject at once', async () => {
    const rs = await recordingServer({ startServing: false })
    const server = rs.server
    let ended = false
    const forever = server.serveForever().then(() => { ended = true })
    await expect(server.serveForever()).rejects.toBeInstanceOf(InvalidStateError)
    await server.startServing() // joins the start serveForever began
    expect(server.isServing()).toBe(true)
    expect(await echoRoundTrip(rs.port)).toBe('ping')
    expect(ended).toBe(false)
    server.close()
    await withTimeout(forever, T)
    expect(ended).toBe(true)
    const err = await server.serveForever().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ServerClosedError)
    expect((err as NodeJS.ErrnoException).code).toBe('WL_ERR_SERVER_CLOSED')
    await expect(server.startServing()).rejects.toBeInstanceOf(ServerClosedError)
  })

  it('serveForever({ signal }): aborting closes the server and ends it; an aborted signal ends it at once; bad options throw at the call', async () => {
    const a = await recordingServer()
    const controller = new AbortController()
    const forever = a.server.serveForever({ signal: controller.signal })
    expect(await echoRoundTrip(a.port)).toBe('ping')
    controller.abort()
    await withTimeout(forever, T)
    expect(a.server.isServing()).toBe(false)
    await withTimeout(a.server.waitClosed(), T)

    const b = await recordingServer()
    await withTimeout(b.server.serveForever({ signal: AbortSignal.abort() }), T)
    expect(b.server.isServing()).toBe(false)

    const c = await recordingServer()
    expect(() => c.server.serveForever({ signal: 'stop' } as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }))
    expect(() => c.server.serveForever({ sigal: controller.signal } as never)).toThrow(/unknown option 'sigal'/)
    expect(c.server.isServing()).toBe(true)
  })

  it('Symbol.asyncDispose closes the server and waits for its connections', async () => {
    const { server, protocols, port, accepted } = await recordingServer()
    const [t] = await createConnection(() => new RecordingProtocol(), '127.0.0.1', port)
    await accepted(1)
    const disposed = server[Symbol.asyncDispose]()
    expect(server.isServing()).toBe(false)
    t.close()
    await withTimeout(disposed, T)
    expect(protocols[0]!.lostWith).toBe(null)
  })

  it('a throwing factory drops that connection, is reported, and the server keeps serving', async () => {
    const ex = watchExceptions()
    let n = 0
    const boom = new Error('factory boom')
    const server = cleanupServer(await createServer(() => {
      if (n++ === 0) throw boom
      return new Echo()
    }, '127.0.0.1', 0))
    const c = await rawClient(portOf(server))
    await withTimeout(ended(c), T)
    const reports = ex.take() as Array<{ message: string, exception: unknown }>
    expect(reports).toHaveLength(1)
    expect(reports[0]!.exception).toBe(boom)
    expect(reports[0]!.message).toMatch(/accepting a connection/)
    expect(await echoRoundTrip(portOf(server))).toBe('ping')
  })

  it('a throwing connectionMade on the server aborts that connection only', async () => {
    const ex = watchExceptions()
    let n = 0
    const first = new RecordingProtocol({ throwIn: { callback: 'connectionMade' } })
    const server = cleanupServer(await createServer(() => (n++ === 0 ? first : new Echo()), '127.0.0.1', 0))
    const c = await rawClient(portOf(server))
    await withTimeout(first.lost, T)
    expect(first.trace()).toEqual(['connectionMade', 'connectionLost'])
    await withTimeout(ended(c), T)
    expect((ex.take()[0] as { message: string }).message).toBe('Fatal error: protocol.connectionMade() call failed.')
    expect(await echoRoundTrip(portOf(server))).toBe('ping')
  })

  it('takes a backlog, validates its options, and rejects when the address is in use', async () => {
    const { port } = await recordingServer({ backlog: 5 })
    await expect(createServer(() => new Echo(), '127.0.0.1', port)).rejects.toMatchObject({ code: 'EADDRINUSE' })
    expect(() => createServer(() => new Echo(), '127.0.0.1', 0, { backlog: -1 })).toThrow(RangeError)
    expect(() => createServer(() => new Echo(), '127.0.0.1', 0, { backlog: 'x' as never })).toThrow(TypeError)
    expect(() => createServer(() => new Echo(), '127.0.0.1', 0, { startServing: 'yes' as never })).toThrow(TypeError)
    expect(() => createServer(null as never, '127.0.0.1', 0)).toThrow(TypeError)
    expect(() => createServer(() => new Echo(), '127.0.0.1', 99999)).toThrow(RangeError)
  })

  it('reusePort: shares the port where Node supports it, otherwise rejects with a clear error', async () => {
    if (reusePortSupported()) {
      const { port } = await recordingServer({ reusePort: true })
      const second = cleanupServer(await createServer(() => new Echo(), '127.0.0.1', port, { reusePort: true }))
      expect(portOf(second)).toBe(port)
    } else {
      const err = await createServer(() => new Echo(), '127.0.0.1', 0, { reusePort: true }).catch((e: unknown) => e)
      expect((err as NodeJS.ErrnoException).code).toBe('WL_ERR_UNSUPPORTED')
      expect((err as Error).message).toMatch(/reusePort is not supported by Node/)
    }
  })

  it('a connection refused when nothing listens', async () => {
    const port = await closedPort()
    await expect(createConnection(() => new Echo(), '127.0.0.1', port)).rejects.toMatchObject({ code: 'ECONNREFUSED' })
  })
})
