import * as net from 'node:net'
import * as tls from 'node:tls'
import { describe, expect, it } from 'vitest'
import { RecordingProtocol, assertTrace, clientTls, serverTls, withTimeout } from '@wireline/core/testing'
import { TimeoutError, connectAcceptedSocket, createConnection, startTls } from '../src/index.js'
import { cleanupTransport, ended, rawServer } from './helpers.js'

const T = 10_000

/** A plain connection to a peer that never answers the TLS handshake, and that peer's socket. */
async function silentPeer (): Promise<{ transport: Awaited<ReturnType<typeof createConnection>>[0], protocol: RecordingProtocol, peer: net.Socket }> {
  const server = await rawServer()
  const [transport, protocol] = await createConnection(() => new RecordingProtocol(), '127.0.0.1', server.port)
  cleanupTransport(transport)
  return { transport, protocol, peer: await server.next() }
}

/** Resolves once the peer got the ClientHello: the upgrade is past the hand-over, in the handshake. */
function helloArrived (peer: net.Socket): Promise<void> {
  return new Promise((resolve) => peer.once('data', () => resolve()))
}

describe('startTls: a pending upgrade can be given up', () => {
  for (const how of ['abort', 'close'] as const) {
    it(`${how}() of the old transport: the peer sees the end, startTls rejects with ECONNABORTED, connectionLost(thatError)`, async () => {
      const { transport, protocol, peer } = await silentPeer()
      const upgrading = startTls(transport, protocol, clientTls(), { serverHostname: 'localhost' })
      await withTimeout(helloArrived(peer), T)
      const peerEnded = ended(peer)
      transport[how]()
      const err = await withTimeout(upgrading.catch((e: unknown) => e), 1000, 'startTls to reject')
      expect(err).toMatchObject({ code: 'ECONNABORTED' })
      await withTimeout(peerEnded, 1000, 'the peer to see the end')
      expect(await withTimeout(protocol.lost, 1000)).toBe(err)
      assertTrace(protocol.events, 'stream')
      expect(protocol.trace()).toEqual(['connectionMade', 'connectionLost'])
    })
  }

  it('its signal: AbortError, the peer sees the end, connectionLost(thatError)', async () => {
    const { transport, protocol, peer } = await silentPeer()
    const controller = new AbortController()
    const upgrading = startTls(transport, protocol, clientTls(), { serverHostname: 'localhost', signal: controller.signal })
    await withTimeout(helloArrived(peer), T)
    const peerEnded = ended(peer)
    controller.abort()
    const err = await withTimeout(upgrading.catch((e: unknown) => e), 1000, 'startTls to reject')
    expect(err).toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' })
    await withTimeout(peerEnded, 1000, 'the peer to see the end')
    expect(await withTimeout(protocol.lost, 1000)).toBe(err)
  })

  it('its signal while earlier writes still flush: the upgrade never hands over, connectionLost(AbortError)', async () => {
    const { transport, protocol, peer } = await silentPeer()
    peer.pause() // the peer reads nothing: the big write stays buffered
    transport.write(Buffer.alloc(8 << 20))
    const controller = new AbortController()
    const upgrading = startTls(transport, protocol, clientTls(), { serverHostname: 'localhost', signal: controller.signal })
    controller.abort()
    const err = await withTimeout(upgrading.catch((e: unknown) => e), 1000, 'startTls to reject')
    expect(err).toMatchObject({ name: 'AbortError' })
    expect(await withTimeout(protocol.lost, 1000)).toBe(err)
  })

  it('sslHandshakeTimeout: TimeoutError, the peer sees the end, connectionLost(thatError)', async () => {
    const { transport, protocol, peer } = await silentPeer()
    peer.resume() // reads (and ignores) the ClientHello, so that its end is seen
    const peerEnded = ended(peer)
    const started = Date.now()
    const err = await withTimeout(
      startTls(transport, protocol, clientTls(), { serverHostname: 'localhost', sslHandshakeTimeout: 200 }).catch((e: unknown) => e), T)
    expect(err).toBeInstanceOf(TimeoutError)
    expect(Date.now() - started).toBeLessThan(5000)
    await withTimeout(peerEnded, 1000, 'the peer to see the end')
    expect(await withTimeout(protocol.lost, 1000)).toBe(err)
  })

  it('an already aborted signal: rejects at once and leaves the connection as it was', async () => {
    const { transport, protocol, peer } = await silentPeer()
    const err = await startTls(transport, protocol, clientTls(), { signal: AbortSignal.abort() }).catch((e: unknown) => e)
    expect(err).toMatchObject({ name: 'AbortError' })
    expect(transport.isClosing()).toBe(false)
    const got = new Promise<string>((resolve) => peer.once('data', (c: Buffer) => resolve(c.toString())))
    transport.write('still plaintext')
    expect(await withTimeout(got, T)).toBe('still plaintext')
  })

  it('bad options throw at the call', async () => {
    const { transport, protocol } = await silentPeer()
    expect(() => startTls(transport, protocol, clientTls(), { signal: 'no' } as never)).toThrow(TypeError)
    expect(() => startTls(transport, protocol, clientTls(), { server_side: true } as never)).toThrow(/unknown option 'server_side'/)
    expect(transport.isClosing()).toBe(false)
  })
})

describe('startTls: TLS over TLS', () => {
  it('upgrades a TLS transport again (an HTTPS proxy tunnel): both layers carry bytes end to end', async () => {
    // The peer: a TLS server whose decrypted stream is itself the server side of an inner TLS session.
    let listening!: (port: number) => void
    const port = new Promise<number>((resolve) => { listening = resolve })
    const inner = new Promise<tls.TLSSocket>((resolve) => {
      const server = tls.createServer(serverTls(), (outer) => {
        outer.on('error', () => {})
        const ts = new tls.TLSSocket(outer, { ...serverTls(), isServer: true })
        ts.on('error', () => {})
        ts.once('secure', () => resolve(ts))
        server.close()
      })
      server.listen(0, '127.0.0.1', () => { listening((server.address() as net.AddressInfo).port) })
    })
    const [outer, protocol] = await createConnection(() => new RecordingProtocol(), '127.0.0.1', await port, {
      ssl: clientTls(), serverHostname: 'localhost',
    })
    cleanupTransport(outer)
    const t = await withTimeout(startTls(outer, protocol, clientTls(), { serverHostname: 'localhost' }), T)
    cleanupTransport(t)
    const ts = await withTimeout(inner, T)
    expect(t.getExtraInfo('ssl_object')).not.toBe(outer.getExtraInfo('ssl_object'))
    expect(t.getExtraInfo('peername')).toEqual(outer.getExtraInfo('peername'))
    const echoed = new Promise<string>((resolve) => ts.once('data', (c: Buffer) => resolve(c.toString())))
    t.write('inside two layers')
    expect(await withTimeout(echoed, T)).toBe('inside two layers')
    ts.write('and back')
    await withTimeout(protocol.untilBytes(8), T)
    expect(protocol.received().toString()).toBe('and back')
    t.close()
    expect(await withTimeout(protocol.lost, T)).toBe(null)
    expect(protocol.trace()).toEqual(['connectionMade', 'dataReceived', 'connectionLost'])
  })
})

describe('connectAcceptedSocket: signal', () => {
  it('gives up the TLS handshake of an accepted socket: AbortError, the socket destroyed, no protocol', async () => {
    const server = await rawServer()
    const client = net.connect(server.port, '127.0.0.1')
    client.on('error', () => {})
    const socket = await server.next()
    const controller = new AbortController()
    let made = 0
    const wrapping = connectAcceptedSocket(() => { made++; return new RecordingProtocol() }, socket, { ssl: serverTls(), signal: controller.signal })
    controller.abort()
    const err = await withTimeout(wrapping.catch((e: unknown) => e), T)
    expect(err).toMatchObject({ name: 'AbortError' })
    expect(socket.destroyed).toBe(true)
    expect(made).toBe(0)
    client.destroy()
  })
})
