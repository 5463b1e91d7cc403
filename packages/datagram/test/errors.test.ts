// Errors: ICMP refusals and send errors reach errorReceived and the endpoint stays open
// (asyncio H7, H8, H9, H15); a throwing datagramReceived / errorReceived / connectionLost is
// reported to the exception handler and the endpoint goes on (SPEC; asyncio H16 lets it escape).
import { assertTrace } from '@wireline/core/testing'
import { describe, expect, it } from 'vitest'
import { DATAGRAM_HEADER_SIZE } from '../src/index.js'
import { HOSTS, deadPort, endpoint, expectReports, rawSocket, reports, settle, sockname } from './helpers.js'

const text = (d: Uint8Array): string => Buffer.from(d).toString()

describe.each(HOSTS)('on %s', (host) => {
  it('connected to a port nobody listens on: errorReceived(ECONNREFUSED), once per datagram; the endpoint stays open and works', async () => {
    const port = await deadPort(host)
    const [t, p] = await endpoint({ remoteAddr: [host, port] })
    t.sendto('anyone?')
    await p.untilErrors(1)
    expect(p.errors[0]).toMatchObject({ code: 'ECONNREFUSED' })
    expect(t.isClosing()).toBe(false)
    t.sendto('still nobody?')
    await p.untilErrors(2)
    expect(p.errors[1]).toMatchObject({ code: 'ECONNREFUSED' })
    // Someone binds the port: the same endpoint now gets through.
    const listener = await rawSocket(host, port)
    t.sendto('there you are')
    await listener.untilMessages(1)
    expect(listener.messages[0]!.data.toString()).toBe('there you are')
    expect(p.events.slice(0, 3)).toEqual(['connectionMade', 'errorReceived', 'errorReceived'])
    assertTrace(p.events, 'datagram', { complete: false })
  })

  it('unconnected, to a port nobody listens on: no error (as Linux reports none), and it still receives (asyncio H9)', async () => {
    const port = await deadPort(host)
    const peer = await rawSocket(host)
    const [t, p] = await endpoint({ localAddr: [host, 0] })
    t.sendto('void', [host, port])
    await peer.send('hello', sockname(t))
    await p.untilDatagrams(1)
    await settle() // absence: no errorReceived comes
    expect(p.events).toEqual(['connectionMade', 'datagramReceived'])
    expect(text(p.datagrams[0]![0])).toBe('hello')
  })

  it('an oversized datagram: errorReceived(EMSGSIZE), the datagram is dropped, the endpoint goes on', async () => {
    const peer = await rawSocket(host)
    const [t, p] = await endpoint({ remoteAddr: peer.address })
    t.sendto(Buffer.alloc(70_000))
    expect(t.getWriteBufferSize()).toBe(0) // refused at once: nothing is queued
    await p.untilErrors(1)
    expect(p.errors[0]).toMatchObject({ code: 'EMSGSIZE', syscall: 'send' })
    t.sendto('small')
    await peer.untilMessages(1)
    expect(peer.messages.map((m) => m.data.toString())).toEqual(['small'])
    expect(t.isClosing()).toBe(false)
    expect(p.events).toEqual(['connectionMade', 'errorReceived'])
    expect(t.getWriteBufferSize()).toBe(0)
    expect(DATAGRAM_HEADER_SIZE).toBe(8)
  })

  it('a throwing datagramReceived is reported; the endpoint keeps receiving (SPEC, asyncio H16)', async () => {
    const peer = await rawSocket(host)
    const boom = new Error('bad datagram')
    const [t, p] = await endpoint({ localAddr: [host, 0] }, { throwIn: { callback: 'datagramReceived', error: boom } })
    expectReports(1)
    await peer.send('first', sockname(t))
    await peer.send('second', sockname(t))
    await p.untilDatagrams(2)
    expect(p.datagrams.map(([d]) => text(d))).toEqual(['first', 'second'])
    expect(reports()).toHaveLength(1)
    expect(reports()[0]).toMatchObject({ message: 'protocol.datagramReceived() failed', exception: boom, transport: t, protocol: p })
    expect(t.isClosing()).toBe(false)
    assertTrace(p.events, 'datagram', { complete: false })
  })

  it('a throwing errorReceived is reported; the endpoint goes on', async () => {
    const port = await deadPort(host)
    const boom = new Error('bad error handler')
    const [t, p] = await endpoint({ remoteAddr: [host, port] }, { throwIn: { callback: 'errorReceived', error: boom, times: 2 } })
    expectReports(2)
    t.sendto('a')
    await p.untilErrors(1)
    t.sendto('b')
    await p.untilErrors(2)
    expect(reports().map((r) => r.message)).toEqual(['protocol.errorReceived() failed', 'protocol.errorReceived() failed'])
    expect(reports()[0]!.exception).toBe(boom)
    expect(t.isClosing()).toBe(false)
    t.sendto('c')
    await p.untilErrors(3) // the third one is not thrown: still delivered
    expect(p.events).toEqual(['connectionMade', 'errorReceived', 'errorReceived', 'errorReceived'])
  })

  it('a throwing connectionLost is reported; the socket is released all the same', async () => {
    const boom = new Error('bad connectionLost')
    const [t, p] = await endpoint({ localAddr: [host, 0] }, { throwIn: { callback: 'connectionLost', error: boom } })
    expectReports(1)
    const socket = t.getExtraInfo('socket')!
    t.close()
    await p.lost
    expect(reports()[0]).toMatchObject({ message: 'protocol.connectionLost() failed', exception: boom })
    expect(() => socket.address()).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_DGRAM_NOT_RUNNING' }))
    expect(t.getProtocol()).toBeNull()
  })

  it('the dgram socket closed directly, under the transport: connectionLost(null), and later sendto is dropped', async () => {
    const peer = await rawSocket(host)
    const [t, p] = await endpoint({ remoteAddr: peer.address })
    t.getExtraInfo('socket')!.close()
    expect(() => t.sendto('dropped')).not.toThrow()
    expect(await p.lost).toBeNull()
    expect(t.isClosing()).toBe(true)
    expect(t.getWriteBufferSize()).toBe(0)
    expect(p.events).toEqual(['connectionMade', 'connectionLost'])
  })
})

it('sendto to a host name (localhost, from the hosts file) resolves it, as node:dgram does, and counts the datagram meanwhile', async () => {
  const peer = await rawSocket('127.0.0.1')
  const [t, p] = await endpoint({ localAddr: ['127.0.0.1', 0] })
  t.sendto('by name', ['localhost', peer.address[1]])
  expect(t.getWriteBufferSize()).toBe('by name'.length + DATAGRAM_HEADER_SIZE)
  await peer.untilMessages(1)
  expect(peer.messages[0]!.data.toString()).toBe('by name')
  expect(t.getWriteBufferSize()).toBe(0)
  // close() waits for a datagram still resolving, then flushes it
  t.sendto('last', ['localhost', peer.address[1]])
  t.close()
  expect(await p.lost).toBeNull()
  await peer.untilMessages(2)
  expect(peer.messages[1]!.data.toString()).toBe('last')
})
