// createDatagramEndpoint: binding and connecting (IPv4, IPv6, host names), connectionMade
// before the promise resolves, failures that reject without a callback, argument errors that
// throw at the call (asyncio H1, H19, H20).
import { Deferred, RecordingDatagramProtocol, assertTrace, withTimeout } from '@wireline/core/testing'
import { describe, expect, it } from 'vitest'
import {
  DatagramProtocol, UnsupportedError, createDatagramEndpoint,
} from '../src/index.js'
import type { DatagramTransport } from '../src/index.js'
import { HOSTS, WAIT, endpoint, expectReports, rawSocket, reports, sockname } from './helpers.js'

// Bun (see the guide's Bun section): where it differs from Node, the test says so beside the check
const onBun = 'Bun' in globalThis

describe.each(HOSTS)('createDatagramEndpoint on %s', (host) => {
  it('binds localAddr (port 0 picks one) and calls connectionMade before resolving', async () => {
    let madeBeforeResolve = false
    const [t, p] = await endpoint({ localAddr: [host, 0] }, {
      onConnectionMade: () => { madeBeforeResolve = true },
    })
    expect(madeBeforeResolve).toBe(true)
    expect(p.transport).toBe(t)
    expect(p.events).toEqual(['connectionMade'])
    const [h, port] = sockname(t)
    expect(h).toBe(host)
    expect(port).toBeGreaterThan(0)
    expect(t.getExtraInfo('peername')).toBeNull()
    expect(t.getExtraInfo('socket')!.address().port).toBe(port)
    expect(t.isReading()).toBe(true)
    expect(t.isClosing()).toBe(false)
  })

  it('connects to remoteAddr: peername, and a free local port on the same IP version', async () => {
    const peer = await rawSocket(host)
    const [t] = await endpoint({ remoteAddr: peer.address })
    expect(t.getExtraInfo('peername')).toEqual(peer.address)
    const [localHost, localPort] = sockname(t)
    expect(localHost).toBe(host)
    expect(localPort).toBeGreaterThan(0)
    t.sendto('hello')
    await peer.untilMessages(1)
    expect(peer.messages[0]!.data.toString()).toBe('hello')
    expect(peer.messages[0]!.from).toEqual([host, localPort])
  })

  it('binds localAddr and connects to remoteAddr together', async () => {
    const peer = await rawSocket(host)
    const [t] = await endpoint({ localAddr: [host, 0], remoteAddr: peer.address })
    expect(t.getExtraInfo('peername')).toEqual(peer.address)
    t.sendto(new Uint8Array([1, 2, 3]))
    await peer.untilMessages(1)
    expect([...peer.messages[0]!.data]).toEqual([1, 2, 3])
    expect(peer.messages[0]!.from).toEqual(sockname(t))
  })

  it('family alone gives an endpoint on a free port of every interface', async () => {
    const family = host === '::1' ? 6 : 4
    const [t, p] = await endpoint({ family })
    const [h, port] = sockname(t)
    expect(h).toBe(family === 6 ? '::' : '0.0.0.0')
    expect(port).toBeGreaterThan(0)
    // It receives on loopback too.
    const peer = await rawSocket(host)
    await peer.send('x', [host, port])
    await p.untilDatagrams(1)
    expect(p.datagrams[0]![1]).toEqual(peer.address)
  })

  it('rejects with EADDRINUSE when the port is taken, calling neither the factory nor a callback', async () => {
    const peer = await rawSocket(host)
    let made = 0
    const attempt = createDatagramEndpoint(() => { made++; return new DatagramProtocol() }, { localAddr: peer.address })
    await expect(attempt).rejects.toMatchObject({ code: 'EADDRINUSE', syscall: 'bind' })
    expect(made).toBe(0)
  })
})

describe('createDatagramEndpoint', () => {
  it('resolves host names (localhost) for localAddr and remoteAddr', async () => {
    const [server, sp] = await endpoint({ localAddr: ['localhost', 0] })
    const [serverHost, serverPort] = sockname(server)
    expect(['127.0.0.1', '::1']).toContain(serverHost)
    const [client, cp] = await endpoint({ remoteAddr: ['localhost', serverPort], family: serverHost === '::1' ? 6 : 4 })
    expect(client.getExtraInfo('peername')).toEqual([serverHost, serverPort])
    // sendto accepts the remote address as it was given, or as it resolved.
    client.sendto('a', ['localhost', serverPort])
    client.sendto('b', [serverHost, serverPort])
    await sp.untilDatagrams(2)
    expect(sp.datagrams.map(([d]) => Buffer.from(d).toString()).sort()).toEqual(['a', 'b'])
    expect(cp.events).toEqual(['connectionMade'])
  })

  // Node only: Bun's dgram rejects such a connect with an error that has no code or syscall
  it.skipIf(onBun)('rejects a connect the kernel refuses (broadcast address without allowBroadcast: EACCES), no callback', async () => {
    let made = 0
    const attempt = createDatagramEndpoint(() => { made++; return new DatagramProtocol() },
      { remoteAddr: ['127.255.255.255', 9] })
    await expect(attempt).rejects.toMatchObject({ code: 'EACCES', syscall: 'connect' })
    expect(made).toBe(0)
  })

  it('allowBroadcast sets SO_BROADCAST and only records remoteAddr (H20): sendto() goes there, anyone may answer', async () => {
    // 127.255.255.255 is loopback's own broadcast address: nothing leaves the machine.
    const receiver = await rawSocket('127.255.255.255')
    const port = receiver.address[1]
    const [t, p] = await endpoint({ localAddr: ['127.0.0.1', 0], remoteAddr: ['127.255.255.255', port], allowBroadcast: true })
    expect(t.getExtraInfo('peername')).toBeNull() // not connected, as asyncio
    t.sendto('to everyone')
    await receiver.untilMessages(1)
    expect(receiver.messages[0]!.data.toString()).toBe('to everyone')
    expect(receiver.messages[0]!.from).toEqual(sockname(t))
    // Not connected: a datagram from some other peer is received.
    const other = await rawSocket('127.0.0.1')
    await other.send('hi', sockname(t))
    await p.untilDatagrams(1)
    expect(p.datagrams[0]![1]).toEqual(other.address)
    // The default destination is the only address sendto() accepts.
    expect(() => t.sendto('x', other.address)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }))
  })

  it('without allowBroadcast, sending to the broadcast address is an error for errorReceived (EACCES)', async () => {
    const [t, p] = await endpoint({ localAddr: ['127.0.0.1', 0] })
    t.sendto('x', ['127.255.255.255', 9])
    await p.untilErrors(1)
    expect(p.errors[0]).toMatchObject({ code: 'EACCES' })
    expect(t.isClosing()).toBe(false)
    assertTrace(p.events, 'datagram', { complete: false })
  })

  it('reusePort: rejects with UnsupportedError where Node cannot set SO_REUSEPORT', async () => {
    const [major = 0, minor = 0] = process.versions.node.split('.').map(Number)
    const supported = major >= 23 || (major === 22 && minor >= 12)
    if (supported) {
      const [a] = await endpoint({ localAddr: ['127.0.0.1', 0], reusePort: true })
      const [b] = await endpoint({ localAddr: sockname(a), reusePort: true })
      expect(sockname(b)).toEqual(sockname(a))
    } else {
      let made = 0
      const attempt = createDatagramEndpoint(() => { made++; return {} }, { localAddr: ['127.0.0.1', 0], reusePort: true })
      await expect(attempt).rejects.toBeInstanceOf(UnsupportedError)
      await expect(attempt).rejects.toMatchObject({ code: 'WL_ERR_UNSUPPORTED' })
      expect(made).toBe(0)
    }
  })

  it('a factory that throws rejects with its error; the socket is closed (no callback)', async () => {
    const boom = new Error('factory failed')
    await expect(createDatagramEndpoint(() => { throw boom }, { localAddr: ['127.0.0.1', 0] })).rejects.toBe(boom)
    await expect(createDatagramEndpoint(() => null as never, { localAddr: ['127.0.0.1', 0] }))
      .rejects.toMatchObject({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' })
  })

  it('a connectionMade that throws is reported, rejects with its error, and connectionLost(thatError) follows', async () => {
    reports()
    expectReports(1)
    const boom = new Error('connectionMade failed')
    let protocol!: RecordingDatagramProtocol<DatagramTransport>
    const attempt = createDatagramEndpoint(() => {
      protocol = new RecordingDatagramProtocol({ throwIn: { callback: 'connectionMade', error: boom } })
      return protocol
    }, { localAddr: ['127.0.0.1', 0] })
    await expect(attempt).rejects.toBe(boom)
    expect(await protocol.lost).toBe(boom)
    expect(protocol.events).toEqual(['connectionMade', 'connectionLost'])
    expect(reports()[0]).toMatchObject({ message: 'Fatal error: protocol.connectionMade() call failed.', exception: boom })
  })

  it('a plain object is a protocol too', async () => {
    const got = new Deferred<string>()
    const lost = new Deferred<Error | null>()
    const peer = await rawSocket()
    const [t] = await createDatagramEndpoint(() => ({
      datagramReceived (data: Uint8Array) { got.resolve(Buffer.from(data).toString()) },
      connectionLost (exc: Error | null) { lost.resolve(exc) },
    }), { localAddr: ['127.0.0.1', 0] })
    try {
      await peer.send('plain', sockname(t))
      expect(await withTimeout(got.promise, WAIT, 'the datagram')).toBe('plain')
    } finally {
      t.close()
    }
    expect(await withTimeout(lost.promise, WAIT, 'connectionLost')).toBeNull()
  })

  describe('bad arguments throw at the call (TypeError / RangeError with a code)', () => {
    const proto = (): DatagramProtocol => new DatagramProtocol()
    const cases: Array<[string, () => unknown, string, string]> = [
      ['no address and no family (asyncio: unexpected address family)', () => createDatagramEndpoint(proto, {}), 'TypeError', 'ERR_MISSING_ARGS'],
      ['no options at all', () => createDatagramEndpoint(proto), 'TypeError', 'ERR_MISSING_ARGS'],
      ['factory is not a function', () => createDatagramEndpoint(null as never, { family: 4 }), 'TypeError', 'ERR_INVALID_ARG_TYPE'],
      ['options is not an object', () => createDatagramEndpoint(proto, 4 as never), 'TypeError', 'ERR_INVALID_ARG_TYPE'],
      ['localAddr not a pair (asyncio: 2-tuple is expected)', () => createDatagramEndpoint(proto, { localAddr: ['127.0.0.1'] as never }), 'TypeError', 'ERR_INVALID_ARG_TYPE'],
      ['localAddr a string', () => createDatagramEndpoint(proto, { localAddr: '127.0.0.1:0' as never }), 'TypeError', 'ERR_INVALID_ARG_TYPE'],
      ['remoteAddr port a string', () => createDatagramEndpoint(proto, { remoteAddr: ['127.0.0.1', '53'] as never }), 'TypeError', 'ERR_INVALID_ARG_TYPE'],
      ['remoteAddr port 0', () => createDatagramEndpoint(proto, { remoteAddr: ['127.0.0.1', 0] }), 'RangeError', 'ERR_OUT_OF_RANGE'],
      ['localAddr port 65536', () => createDatagramEndpoint(proto, { localAddr: ['127.0.0.1', 65536] }), 'RangeError', 'ERR_OUT_OF_RANGE'],
      ['remoteAddr empty host', () => createDatagramEndpoint(proto, { remoteAddr: ['', 53] }), 'TypeError', 'ERR_INVALID_ARG_VALUE'],
      ['family 5', () => createDatagramEndpoint(proto, { family: 5 as never }), 'TypeError', 'ERR_INVALID_ARG_VALUE'],
      ['family unix', () => createDatagramEndpoint(proto, { family: 'unix' as never }), 'TypeError', 'ERR_INVALID_ARG_VALUE'],
      ['IPv4 localAddr with an IPv6 remoteAddr', () => createDatagramEndpoint(proto, { localAddr: ['127.0.0.1', 0], remoteAddr: ['::1', 53] }), 'TypeError', 'ERR_INVALID_ARG_VALUE'],
      ['an IPv6 address with family 4', () => createDatagramEndpoint(proto, { localAddr: ['::1', 0], family: 4 }), 'TypeError', 'ERR_INVALID_ARG_VALUE'],
      ['reusePort not a boolean', () => createDatagramEndpoint(proto, { family: 4, reusePort: 'yes' as never }), 'TypeError', 'ERR_INVALID_ARG_TYPE'],
      ['an unknown option (asyncio: unexpected keyword argument)', () => createDatagramEndpoint(proto, { family: 4, reuseAddress: true } as never), 'TypeError', 'ERR_INVALID_ARG_VALUE'],
    ]
    it.each(cases)('%s', (_name, call, name, code) => {
      let thrown: unknown
      try {
        call()
      } catch (err) {
        thrown = err
      }
      expect(thrown).toBeInstanceOf(Error)
      expect(thrown).toMatchObject({ name, code })
    })
  })
})
