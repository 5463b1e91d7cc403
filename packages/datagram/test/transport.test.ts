// DatagramTransport over real UDP sockets on 127.0.0.1 and ::1: echo both ways, sender
// addresses, empty datagrams, SPEC's address rules, close/abort, extra info, interop with a
// plain node:dgram peer, and the callback traces against the datagram state machine.
import * as dgram from 'node:dgram'
import { RecordingDatagramProtocol, assertTrace } from '@wireline/core/testing'
import { describe, expect, it } from 'vitest'
import type { DatagramAddress, DatagramTransport } from '../src/index.js'
import { HOSTS, endpoint, rawSocket, settle, sockname, until } from './helpers.js'

const text = (d: Uint8Array): string => Buffer.from(d).toString()

describe.each(HOSTS)('on %s', (host) => {
  /** A wireline echo server: sends every datagram back to its sender. */
  const echoServer = async (): ReturnType<typeof endpoint> =>
    await endpoint({ localAddr: [host, 0] }, { onDatagram: (data, addr, t) => t.sendto(data, addr as DatagramAddress) })

  it('echo both ways: a connected client and an echo server, with [host, port] sender addresses', async () => {
    const [server, sp] = await echoServer()
    const [client, cp] = await endpoint({ remoteAddr: sockname(server) })
    for (const m of ['one', 'two', 'three']) client.sendto(m)
    await cp.untilDatagrams(3)
    expect(cp.datagrams.map(([d]) => text(d)).sort()).toEqual(['one', 'three', 'two'])
    for (const [, addr] of cp.datagrams) expect(addr).toEqual(sockname(server))
    for (const [, addr] of sp.datagrams) expect(addr).toEqual(sockname(client))
    expect(sockname(client)[0]).toBe(host)
    assertTrace(sp.events, 'datagram', { complete: false })
    assertTrace(cp.events, 'datagram', { complete: false })
    expect(cp.trace()).toEqual(['connectionMade', 'datagramReceived'])
    client.close()
    server.close()
    expect(await cp.lost).toBeNull()
    expect(await sp.lost).toBeNull()
    assertTrace(sp.events, 'datagram')
    assertTrace(cp.events, 'datagram')
  })

  it('an unconnected client sends with an address and receives from anyone', async () => {
    const [server] = await echoServer()
    const [client, cp] = await endpoint({ localAddr: [host, 0] })
    client.sendto(Buffer.from('ping'), sockname(server))
    await cp.untilDatagrams(1)
    expect(text(cp.datagrams[0]![0])).toBe('ping')
    expect(cp.datagrams[0]![1]).toEqual(sockname(server))
  })

  it('zero-length datagrams are sent and received, both ways (asyncio 3.13 H4)', async () => {
    const [server, sp] = await echoServer()
    const [client, cp] = await endpoint({ remoteAddr: sockname(server) })
    client.sendto(new Uint8Array(0))
    client.sendto('')
    await cp.untilDatagrams(2)
    expect(sp.datagrams.map(([d]) => d.length)).toEqual([0, 0])
    expect(cp.datagrams.map(([d]) => d.length)).toEqual([0, 0])
    expect(cp.events).toEqual(['connectionMade', 'datagramReceived', 'datagramReceived'])
  })

  it('accepts any ArrayBufferView, an ArrayBuffer, or a string (UTF-8); keeps datagram boundaries', async () => {
    const peer = await rawSocket(host)
    const [t] = await endpoint({ remoteAddr: peer.address })
    const bytes = new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7])
    t.sendto(bytes.subarray(2, 5))
    t.sendto(new DataView(bytes.buffer, 6, 2))
    t.sendto(new Uint16Array([0x0201]).buffer)
    t.sendto('héllo')
    await peer.untilMessages(4)
    expect(peer.messages.map((m) => [...m.data])).toEqual([[2, 3, 4], [6, 7], [1, 2], [...Buffer.from('héllo')]])
  })

  it('interop with a plain node:dgram peer, both directions', async () => {
    const peer = await rawSocket(host)
    const [t, p] = await endpoint({ localAddr: [host, 0] })
    await peer.send('from dgram', sockname(t))
    await p.untilDatagrams(1)
    expect(text(p.datagrams[0]![0])).toBe('from dgram')
    expect(p.datagrams[0]![1]).toEqual(peer.address)
    t.sendto('from wireline', p.datagrams[0]![1] as DatagramAddress)
    await peer.untilMessages(1)
    expect(peer.messages[0]!.data.toString()).toBe('from wireline')
    expect(peer.messages[0]!.from).toEqual(sockname(t))
  })

  describe('address rules (SPEC: a wrong or missing address throws at the call; the endpoint stays open)', () => {
    it('unconnected: the address is required', async () => {
      const peer = await rawSocket(host)
      const [t, p] = await endpoint({ localAddr: [host, 0] })
      expect(() => t.sendto('x')).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_MISSING_ARGS' }))
      expect(() => t.sendto('x', null)).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_MISSING_ARGS' }))
      expect(t.isClosing()).toBe(false)
      t.sendto('still open', peer.address)
      await peer.untilMessages(1)
      expect(peer.messages.map((m) => m.data.toString())).toEqual(['still open'])
      expect(p.events).toEqual(['connectionMade'])
    })

    it('malformed addresses throw TypeError / RangeError with a code', async () => {
      const peer = await rawSocket(host)
      const [t, p] = await endpoint({ localAddr: [host, 0] })
      const bad: Array<[unknown, string, string]> = [
        [`${host}:9`, 'TypeError', 'ERR_INVALID_ARG_TYPE'],
        [[host], 'TypeError', 'ERR_INVALID_ARG_TYPE'],
        [[host, 9, 0], 'TypeError', 'ERR_INVALID_ARG_TYPE'],
        [[host, '9'], 'TypeError', 'ERR_INVALID_ARG_TYPE'],
        [[9, host], 'TypeError', 'ERR_INVALID_ARG_TYPE'],
        [{ host, port: 9 }, 'TypeError', 'ERR_INVALID_ARG_TYPE'],
        [[host, 0], 'RangeError', 'ERR_OUT_OF_RANGE'],
        [[host, 65536], 'RangeError', 'ERR_OUT_OF_RANGE'],
        [[host, 1.5], 'RangeError', 'ERR_OUT_OF_RANGE'],
        [['', 9], 'TypeError', 'ERR_INVALID_ARG_VALUE'],
      ]
      for (const [addr, name, code] of bad) {
        expect(() => t.sendto('x', addr as DatagramAddress), JSON.stringify(addr)).toThrow(expect.objectContaining({ name, code }))
      }
      expect(() => t.sendto(42 as never, peer.address)).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }))
      expect(() => t.sendto(null as never, peer.address)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }))
      expect(t.isClosing()).toBe(false)
      t.sendto('still open', peer.address)
      await peer.untilMessages(1)
      expect(peer.messages.map((m) => m.data.toString())).toEqual(['still open'])
      expect(p.events).toEqual(['connectionMade'])
    })

    it('connected: the address may be omitted, null or the remote address; any other throws (asyncio H5)', async () => {
      const peer = await rawSocket(host)
      const other = await rawSocket(host)
      const [t, p] = await endpoint({ remoteAddr: peer.address })
      t.sendto('omitted')
      t.sendto('null', null)
      t.sendto('same', [...peer.address])
      expect(() => t.sendto('other', other.address)).toThrow(expect.objectContaining({
        name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE',
        message: `Invalid address: must be null or ('${host}', ${peer.address[1]})`,
      }))
      expect(() => t.sendto('bad', [host, 0])).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }))
      expect(t.isClosing()).toBe(false)
      t.sendto('after')
      await peer.untilMessages(4)
      expect(peer.messages.map((m) => m.data.toString())).toEqual(['omitted', 'null', 'same', 'after'])
      await settle() // absence: nothing reached the other peer
      expect(other.messages).toEqual([])
      expect(p.events).toEqual(['connectionMade'])
    })
  })

  describe('close and abort', () => {
    it('close(): closing at once, reading stops, connectionLost(null) later, never inside close(); idempotent', async () => {
      const [t, p] = await endpoint({ localAddr: [host, 0] })
      t.close()
      expect(t.isClosing()).toBe(true)
      expect(t.isReading()).toBe(false)
      expect(p.events).toEqual(['connectionMade'])
      t.close()
      expect(await p.lost).toBeNull()
      t.close()
      t.abort()
      await settle() // absence: no second connectionLost
      expect(p.events).toEqual(['connectionMade', 'connectionLost'])
      expect(t.isClosing()).toBe(true)
      expect(t.getProtocol()).toBeNull()
    })

    it('close() flushes datagrams sent before it, then connectionLost(null)', async () => {
      const peer = await rawSocket(host)
      const [t, p] = await endpoint({ remoteAddr: peer.address })
      for (let i = 0; i < 20; i++) t.sendto(`d${i}`)
      t.close()
      expect(await p.lost).toBeNull()
      await peer.untilMessages(20)
      expect(peer.messages.map((m) => m.data.toString())).toEqual(Array.from({ length: 20 }, (_, i) => `d${i}`))
      assertTrace(p.events, 'datagram')
    })

    it('abort(): connectionLost(null), never inside abort(); idempotent; close() after it is a no-op', async () => {
      const [t, p] = await endpoint({ localAddr: [host, 0] })
      t.abort()
      expect(t.isClosing()).toBe(true)
      expect(t.isReading()).toBe(false)
      expect(t.getWriteBufferSize()).toBe(0)
      expect(p.events).toEqual(['connectionMade'])
      t.abort()
      t.close()
      expect(await p.lost).toBeNull()
      await settle() // absence: no second connectionLost
      expect(p.events).toEqual(['connectionMade', 'connectionLost'])
    })

    it('sendto after close() or abort() is dropped silently, connected or not (asyncio H13, H14)', async () => {
      const peer = await rawSocket(host)
      const [connected, cp] = await endpoint({ remoteAddr: peer.address })
      const [unconnected, up] = await endpoint({ localAddr: [host, 0] })
      // A datagram in flight keeps the closing socket open for a moment: what comes after
      // close() must still be dropped.
      connected.sendto('before close')
      unconnected.sendto('before close', peer.address)
      connected.close()
      unconnected.close()
      expect(() => connected.sendto('late')).not.toThrow()
      expect(() => unconnected.sendto('late', peer.address)).not.toThrow()
      await cp.lost
      await up.lost
      expect(() => connected.sendto('later')).not.toThrow()
      expect(() => unconnected.sendto('later', peer.address)).not.toThrow()
      const [aborted, ap] = await endpoint({ remoteAddr: peer.address })
      aborted.abort()
      expect(() => aborted.sendto('late')).not.toThrow()
      await ap.lost
      expect(() => aborted.sendto('later')).not.toThrow()
      expect(ap.events).toEqual(['connectionMade', 'connectionLost'])
      await peer.untilMessages(2)
      await settle() // absence: nothing after close() or abort() was sent
      expect(peer.messages.map((m) => m.data.toString())).toEqual(['before close', 'before close'])
      expect(cp.events).toEqual(['connectionMade', 'connectionLost'])
      expect(up.events).toEqual(['connectionMade', 'connectionLost'])
    })

    it('arguments are still checked after close (a bad address is a bug whatever the state)', async () => {
      const [t, p] = await endpoint({ localAddr: [host, 0] })
      t.close()
      await p.lost
      expect(() => t.sendto('x')).toThrow(expect.objectContaining({ code: 'ERR_MISSING_ARGS' }))
      expect(() => t.sendto(1 as never, [host, 9])).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }))
    })

    it('close() inside datagramReceived: no further datagram, then connectionLost', async () => {
      const peer = await rawSocket(host)
      const [t, p] = await endpoint({ localAddr: [host, 0] }, { onDatagram: (_d, _a, tr) => tr.close() })
      for (const m of ['a', 'b', 'c']) await peer.send(m, sockname(t))
      expect(await p.lost).toBeNull()
      expect(p.events).toEqual(['connectionMade', 'datagramReceived', 'connectionLost'])
    })
  })

  it('getExtraInfo: sockname, peername, socket; values answer after close; unknown keys give the default', async () => {
    const peer = await rawSocket(host)
    const [t, p] = await endpoint({ remoteAddr: peer.address })
    const socket = t.getExtraInfo('socket')
    expect(socket).toBeInstanceOf(dgram.Socket)
    const local = socket!.address()
    expect(t.getExtraInfo('sockname')).toEqual([local.address, local.port])
    expect(t.getExtraInfo('peername')).toEqual(peer.address)
    expect(t.getExtraInfo('nope')).toBeUndefined()
    expect(t.getExtraInfo('nope', 42)).toBe(42)
    expect(t.getExtraInfo('peercert', 'dflt')).toBe('dflt')
    t.close()
    await p.lost
    expect(t.getExtraInfo('sockname')).toEqual([local.address, local.port])
    expect(t.getExtraInfo('peername')).toEqual(peer.address)
    expect(t.getExtraInfo('socket')).toBe(socket)
    // the socket itself is closed
    expect(() => socket!.address()).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_DGRAM_NOT_RUNNING' }))
  })

  it('setProtocol: later callbacks go to the new protocol, connectionLost included', async () => {
    const peer = await rawSocket(host)
    const [t, first] = await endpoint({ localAddr: [host, 0] })
    await peer.send('1', sockname(t))
    await first.untilDatagrams(1)
    const second = new RecordingDatagramProtocol<DatagramTransport>()
    t.setProtocol(second)
    expect(t.getProtocol()).toBe(second)
    await peer.send('2', sockname(t))
    await until(second, () => second.datagrams.length === 1, 'the datagram for the second protocol')
    t.close()
    expect(await second.lost).toBeNull()
    expect(first.events).toEqual(['connectionMade', 'datagramReceived'])
    expect(second.events).toEqual(['datagramReceived', 'connectionLost'])
    expect(() => t.setProtocol(null as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }))
  })

  it('toString shows the state', async () => {
    const [t, p] = await endpoint({ localAddr: [host, 0] })
    expect(String(t)).toBe('<UDPTransport open>')
    t.close()
    expect(String(t)).toBe('<UDPTransport closing>')
    await p.lost
    expect(String(t)).toBe('<UDPTransport closed>')
  })
})

describe('IP versions', () => {
  it('an IPv6 address on an IPv4 endpoint throws at the call; the endpoint stays open', async () => {
    const peer = await rawSocket('127.0.0.1')
    const [t, p] = await endpoint({ localAddr: ['127.0.0.1', 0] })
    expect(() => t.sendto('x', ['::1', 9])).toThrow(expect.objectContaining({
      name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE', message: 'addr ::1 is an IPv6 address but the endpoint is IPv4',
    }))
    t.sendto('ok', peer.address)
    await peer.untilMessages(1)
    expect(p.events).toEqual(['connectionMade'])
  })

  it('a dual-stack IPv6 endpoint reaches IPv4 peers (at their mapped address) and sees them as ::ffff:a.b.c.d', async () => {
    const peer = await rawSocket('127.0.0.1')
    const [t, p] = await endpoint({ localAddr: ['::', 0] })
    t.sendto('to v4', peer.address)
    await peer.untilMessages(1)
    expect(peer.messages[0]!.data.toString()).toBe('to v4')
    await peer.send('back', ['127.0.0.1', sockname(t)[1]])
    await p.untilDatagrams(1)
    expect(p.datagrams[0]![1]).toEqual(['::ffff:127.0.0.1', peer.address[1]])
    t.sendto('again', p.datagrams[0]![1] as DatagramAddress)
    await peer.untilMessages(2)
    expect(peer.messages[1]!.data.toString()).toBe('again')
  })
})
