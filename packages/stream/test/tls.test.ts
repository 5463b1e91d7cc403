import * as net from 'node:net'
import { join } from 'node:path'
import * as tls from 'node:tls'
import { describe, expect, it, onTestFinished } from 'vitest'
import {
  RecordingProtocol, assertTrace, clientTls, serverTls, socketPair, tempDir, testCerts, withTimeout,
} from '@wireline/core/testing'
import {
  connectAcceptedSocket, createConnection, createServer, createUnixConnection, createUnixServer,
} from '../src/index.js'
import { cleanupServer, collect, payload, portOf, rawServer, sha256, watchExceptions, Echo } from './helpers.js'

// Bun (see the guide's Bun section): where it differs from Node, the test says so beside the check
const onBun = 'Bun' in globalThis

const T = 10_000

/** A wireline TLS server whose protocols are recorded. */
async function tlsServer (make: () => RecordingProtocol = () => new RecordingProtocol({ onData: (d, t) => t.write(d) }), ssl = serverTls()) {
  const protocols: RecordingProtocol[] = []
  const server = cleanupServer(await createServer(() => {
    const p = make()
    protocols.push(p)
    return p
  }, '127.0.0.1', 0, { ssl }))
  return { server, protocols, port: portOf(server) }
}

/** A plain node:tls server (the interop peer). */
async function nodeTlsServer (options: tls.TlsOptions = serverTls()) {
  const sockets: tls.TLSSocket[] = []
  const waiters: Array<(s: tls.TLSSocket) => void> = []
  // a TLS peer as Node makes one by default: it answers our close_notify with its own
  const server = tls.createServer(options, (s) => {
    s.on('error', () => {})
    sockets.push(s)
    waiters.shift()?.(s)
  })
  server.on('tlsClientError', () => {})
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  onTestFinished(async () => {
    for (const s of sockets) s.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return {
    port: (server.address() as net.AddressInfo).port,
    next: async () => sockets.shift() ?? await new Promise<tls.TLSSocket>((resolve) => waiters.push(resolve)),
  }
}

describe('TLS connections', () => {
  it('wireline on both ends: connectionMade after the handshake, echo, extra info, close', async () => {
    watchExceptions()
    const { protocols, port } = await tlsServer()
    const [t, p] = await createConnection(() => new RecordingProtocol(), '127.0.0.1', port, { ssl: clientTls(), serverHostname: 'localhost' })
    const obj = t.getExtraInfo('ssl_object')
    expect(obj).toBeInstanceOf(tls.TLSSocket)
    expect((obj as tls.TLSSocket).isSessionReused()).toBe(false)
    expect(t.getExtraInfo('socket')).toBe(obj)
    expect((t.getExtraInfo('peercert') as tls.PeerCertificate).subject.CN).toBe('localhost')
    const [name, version, bits] = t.getExtraInfo('cipher') as [string, string, number]
    expect(name).toMatch(/^TLS_/)
    expect(version).toBe('TLSv1.3')
    expect([128, 256]).toContain(bits)
    expect(t.getExtraInfo('sslcontext')).toBeInstanceOf(Object)
    expect(t.getExtraInfo('peername')).toEqual(['127.0.0.1', port])
    expect(t.canWriteEof()).toBe(false)
    expect(() => t.writeEof()).toThrow(expect.objectContaining({ code: 'WL_ERR_UNSUPPORTED' }))
    t.write('secret')
    await withTimeout(p.untilBytes(6), T)
    expect(p.received().toString()).toBe('secret')
    t.close()
    await withTimeout(p.lost, T)
    const sp = protocols[0]!
    await withTimeout(sp.lost, T)
    expect(p.trace()).toEqual(['connectionMade', 'dataReceived', 'connectionLost'])
    expect(sp.trace()).toEqual(['connectionMade', 'dataReceived', 'eofReceived', 'connectionLost'])
    expect(sp.transport!.getExtraInfo('peercert')).toBe(null) // the client sent no certificate
    assertTrace(p.events, 'stream')
    assertTrace(sp.events, 'stream')
  })

  it('8 MiB then close() arrives whole over TLS, in both directions', async () => {
    watchExceptions()
    const up = payload(8 * 1024 * 1024)
    const down = payload(8 * 1024 * 1024)
    const { protocols, port } = await tlsServer(() => new RecordingProtocol())
    const [t, p] = await createConnection(() => new RecordingProtocol(), '127.0.0.1', port, { ssl: clientTls() })
    t.write(up)
    expect(p.count('pauseWriting')).toBe(1)
    t.close()
    await withTimeout(p.lost, T)
    const sp = protocols[0]!
    await withTimeout(sp.lost, T)
    expect(sha256(sp.received())).toBe(sha256(up))

    const { port: port2 } = await tlsServer(() => new RecordingProtocol({ onConnectionMade: (tr) => { tr.write(down); tr.close() } }))
    const [, p2] = await createConnection(() => new RecordingProtocol(), '127.0.0.1', port2, { ssl: clientTls() })
    await withTimeout(p2.lost, T)
    expect(p2.lostWith).toBe(null)
    expect(sha256(p2.received())).toBe(sha256(down))
  })

  it('close() while the peer goes on sending: nothing more is delivered, and the peer\'s close_notify ends it', async () => {
    // asyncio's SSL shutdown drops application data until the peer's close_notify; a transport
    // that never saw that close_notify would wait out SSL_SHUTDOWN_TIMEOUT (30 s) instead
    watchExceptions()
    const peer = await nodeTlsServer()
    const [t, p] = await createConnection(() => new RecordingProtocol(), '127.0.0.1', peer.port, { ssl: clientTls() })
    const s = await withTimeout(peer.next(), T)
    s.write(payload(256 * 1024))
    await withTimeout(p.untilBytes(1), T)
    t.close()
    const deliveredAtClose = p.received().length
    for (let i = 0; i < 8; i++) s.write(payload(256 * 1024))
    const peerClosed = new Promise<void>((resolve) => s.once('close', () => resolve()))
    await withTimeout(p.lost, T)
    expect(p.lostWith).toBe(null)
    expect(p.received().length).toBe(deliveredAtClose)
    expect(p.trace()).toEqual(['connectionMade', 'dataReceived', 'connectionLost'])
    await withTimeout(peerClosed, T)
  })

  it('interoperates with a plain node:tls server and a plain node:tls client', async () => {
    const peer = await nodeTlsServer()
    const [t, p] = await createConnection(() => new RecordingProtocol(), '127.0.0.1', peer.port, { ssl: clientTls() })
    const s = await peer.next()
    s.write('from node:tls')
    await withTimeout(p.untilBytes(13), T)
    const got = collect(s)
    t.write('from wireline')
    t.close()
    expect((await withTimeout(got, T)).toString()).toBe('from wireline')
    await withTimeout(p.lost, T)

    const { port } = await tlsServer()
    const c = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ...clientTls() })
    onTestFinished(() => { c.destroy() })
    await withTimeout(new Promise((resolve) => c.once('secureConnect', resolve)), T)
    const echoed = collect(c)
    c.end('ping over tls')
    expect((await withTimeout(echoed, T)).toString()).toBe('ping over tls')
  })

  it('ssl: true verifies against the default trust store: the test certificate is untrusted', async () => {
    const { port, protocols } = await tlsServer()
    let called = false
    const err = await createConnection(() => { called = true; return new RecordingProtocol() }, '127.0.0.1', port, { ssl: true, serverHostname: 'localhost' })
      .catch((e: unknown) => e)
    expect(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY'])
      .toContain((err as NodeJS.ErrnoException).code)
    expect(called).toBe(false)
    expect(protocols).toHaveLength(0) // the server made no protocol for the failed handshake
  })

  it('an untrusted self-signed certificate and a wrong hostname are rejected; the server keeps serving', async () => {
    const untrusted = await tlsServer(undefined, { cert: testCerts.untrusted.cert, key: testCerts.untrusted.key })
    const e1 = await createConnection(() => new RecordingProtocol(), '127.0.0.1', untrusted.port, { ssl: clientTls() }).catch((e: unknown) => e)
    // Bun's TLS (BoringSSL) names a lone self-signed certificate differently
    expect((e1 as NodeJS.ErrnoException).code).toBe(onBun ? 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' : 'DEPTH_ZERO_SELF_SIGNED_CERT')

    const { port, protocols } = await tlsServer()
    const e2 = await createConnection(() => new RecordingProtocol(), '127.0.0.1', port, { ssl: clientTls(), serverHostname: 'wrong.example' })
      .catch((e: unknown) => e)
    expect((e2 as NodeJS.ErrnoException).code).toBe('ERR_TLS_CERT_ALTNAME_INVALID')
    // serverHostname '' turns the name check off (the chain is still verified)
    const [t, p] = await createConnection(() => new RecordingProtocol(), '127.0.0.1', port, { ssl: clientTls(), serverHostname: '' })
    t.write('ok')
    await withTimeout(p.untilBytes(2), T)
    t.close()
    await withTimeout(p.lost, T)
    expect(protocols).toHaveLength(1)
  })

  it('a client handshake that takes too long rejects with a TimeoutError and no callback', async () => {
    const peer = await rawServer() // accepts TCP, never answers the ClientHello
    const err = await createConnection(() => new RecordingProtocol(), '127.0.0.1', peer.port, { ssl: clientTls(), sslHandshakeTimeout: 200 })
      .catch((e: unknown) => e)
    expect((err as NodeJS.ErrnoException).code).toBe('WL_ERR_TIMEOUT')
    expect((err as Error).message).toMatch(/SSL handshake is taking longer than 0.2 seconds/)
  })

  it('a server drops a client whose handshake fails or stalls, with no protocol callback, and keeps serving', async () => {
    watchExceptions()
    const server = cleanupServer(await createServer(() => new Echo(), '127.0.0.1', 0, { ssl: serverTls(), sslHandshakeTimeout: 200 }))
    const port = portOf(server)
    // a client that sends no handshake at all
    const idle = net.connect({ port, host: '127.0.0.1' })
    idle.on('error', () => {})
    onTestFinished(() => { idle.destroy() })
    await withTimeout(new Promise((resolve) => idle.once('close', resolve)), T)
    // a client that does not trust the server
    const distrust = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: testCerts.untrusted.cert })
    distrust.on('error', () => {})
    await withTimeout(new Promise((resolve) => distrust.once('close', resolve)), T)
    const [t, p] = await createConnection(() => new RecordingProtocol(), '127.0.0.1', port, { ssl: clientTls() })
    t.write('still here')
    await withTimeout(p.untilBytes(10), T)
    t.close()
    await withTimeout(p.lost, T)
  })

  it('eofReceived cannot keep a TLS connection half-open: connectionLost follows, with a warning', async () => {
    const warned = new Promise<string>((resolve) => {
      const onWarning = (w: Error): void => { if (w.message.includes('eofReceived')) resolve(w.message) }
      process.on('warning', onWarning)
      onTestFinished(() => { process.off('warning', onWarning) })
    })
    const peer = await nodeTlsServer()
    const [, p] = await createConnection(() => new RecordingProtocol({ eofReturn: true }), '127.0.0.1', peer.port, { ssl: clientTls() })
    const s = await peer.next()
    s.end('bye')
    await withTimeout(p.lost, T)
    expect(p.trace()).toEqual(['connectionMade', 'dataReceived', 'eofReceived', 'connectionLost'])
    expect(await withTimeout(warned, T)).toBe('returning true from eofReceived() has no effect when using ssl')
  })

  it('write flow control over TLS against a peer that stops reading; abort drops the rest', async () => {
    const peer = await nodeTlsServer()
    const [t, p] = await createConnection(() => new RecordingProtocol(), '127.0.0.1', peer.port, { ssl: clientTls() })
    const s = await peer.next()
    s.pause()
    // TLS writes complete asynchronously, and the kernel absorbs megabytes before the peer's
    // silence shows: write whenever resumed, until a pause is not followed by a resume.
    let total = 0
    for (;;) {
      while (p.count('pauseWriting') === p.count('resumeWriting')) {
        t.write(Buffer.alloc(64 * 1024))
        total += 64 * 1024
      }
      const resumed = p.until(() => p.count('resumeWriting') === p.count('pauseWriting')).then(() => true)
      // proving an absence: a short bounded wait for a resume that should not come
      const stuck = !(await Promise.race([resumed, new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 150))]))
      if (stuck) break
      if (total > 256 * 1024 * 1024) throw new Error('never blocked')
    }
    // still paused: the buffer has not drained to the low-water mark
    expect(t.getWriteBufferSize()).toBeGreaterThan(16384)
    const pauses = p.count('pauseWriting')
    let got = 0
    s.on('data', (c: Buffer) => { got += c.length })
    s.resume()
    await withTimeout(p.until(() => p.count('resumeWriting') === pauses), T)
    expect(t.getWriteBufferSize()).toBeLessThanOrEqual(16384)
    t.write(Buffer.alloc(8 * 1024 * 1024))
    t.abort()
    expect(t.getWriteBufferSize()).toBe(0)
    await withTimeout(p.lost, T)
    expect(got).toBeGreaterThan(0)
    assertTrace(p.events, 'stream')
    expect(p.events.at(-2)).toBe('pauseWriting') // the 8 MiB write paused; abort ends it without a resume
  })

  it('mutual TLS: the server asks for a certificate and sees the client one', async () => {
    const { protocols, port } = await tlsServer(undefined, serverTls({ requestCert: true, rejectUnauthorized: true, ca: testCerts.ca }))
    const [t, p] = await createConnection(() => new RecordingProtocol(), '127.0.0.1', port,
      { ssl: clientTls({ cert: testCerts.client.cert, key: testCerts.client.key }) })
    t.write('hi')
    await withTimeout(p.untilBytes(2), T)
    expect((protocols[0]!.transport!.getExtraInfo('peercert') as tls.PeerCertificate).subject.CN).toBe('wireline test client')
    t.close()
    await withTimeout(p.lost, T)
    // without a client certificate the handshake fails and nothing reaches a protocol
    const err = await createConnection(() => new RecordingProtocol(), '127.0.0.1', port, { ssl: clientTls() }).then(
      async ([t2, p2]) => { t2.write('x'); return await p2.lost },
      (e: unknown) => e)
    expect(err).toBeInstanceOf(Error)
    expect(protocols).toHaveLength(1)
  })

  it('validates the TLS options as asyncio does', async () => {
    const f = (): Echo => new Echo()
    expect(() => createConnection(f, '127.0.0.1', 1, { sslHandshakeTimeout: 100 })).toThrow(/only meaningful with ssl/)
    expect(() => createConnection(f, '127.0.0.1', 1, { serverHostname: 'x' })).toThrow(/only meaningful with ssl/)
    expect(() => createConnection(f, '127.0.0.1', 1, { ssl: true, sslHandshakeTimeout: 0 })).toThrow(RangeError)
    expect(() => createConnection(f, '127.0.0.1', 1, { ssl: true, sslHandshakeTimeout: -1 })).toThrow(RangeError)
    expect(() => createConnection(f, '127.0.0.1', 1, { ssl: 'yes' as never })).toThrow(TypeError)
    expect(() => createServer(f, '127.0.0.1', 0, { ssl: true as never })).toThrow(TypeError)
    expect(() => createServer(f, '127.0.0.1', 0, { sslHandshakeTimeout: 5 })).toThrow(/only meaningful with ssl/)
    expect(() => createUnixConnection(f, '/tmp/x.sock', { ssl: true })).toThrow(/serverHostname must be given/)
  })
})

describe('TLS over Unix sockets and accepted sockets', () => {
  it('createUnixServer / createUnixConnection with ssl', async () => {
    const d = tempDir()
    onTestFinished(d.cleanup)
    const path = join(d.path, 'tls.sock')
    cleanupServer(await createUnixServer(() => new Echo(), path, { ssl: serverTls() }))
    const [t, p] = await createUnixConnection(() => new RecordingProtocol(), path, { ssl: clientTls(), serverHostname: 'localhost' })
    expect(t.getExtraInfo('peername')).toBe(path)
    expect(t.getExtraInfo('ssl_object')).toBeInstanceOf(tls.TLSSocket)
    t.write('unix tls')
    await withTimeout(p.untilBytes(8), T)
    expect(p.received().toString()).toBe('unix tls')
    t.close()
    await withTimeout(p.lost, T)
  })

  it('connectAcceptedSocket with ssl runs the server side over the socket', async () => {
    const [a, b] = await socketPair()
    onTestFinished(() => { a.destroy(); b.destroy() })
    const client = tls.connect({ socket: b, servername: 'localhost', ...clientTls() })
    client.on('error', () => {})
    const clientReady = new Promise((resolve) => client.once('secureConnect', resolve))
    const [t, p] = await connectAcceptedSocket(() => new RecordingProtocol({ onData: (d, tr) => tr.write(d) }), a, { ssl: serverTls() })
    expect(t.getExtraInfo('ssl_object')).toBeInstanceOf(tls.TLSSocket)
    await withTimeout(clientReady, T)
    const echoed = collect(client)
    client.end('accepted + tls')
    expect((await withTimeout(echoed, T)).toString()).toBe('accepted + tls')
    await withTimeout(p.lost, T)
  })
})
