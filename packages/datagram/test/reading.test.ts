// pauseReading / resumeReading / isReading. node:dgram cannot stop reading, so the transport
// keeps what arrives while paused, up to PAUSED_READ_MAX_DATAGRAMS datagrams and
// PAUSED_READ_MAX_BYTES bytes, delivers it in order on resume, and drops what lies beyond.
// Tests know that a datagram has reached the transport (and was held) by listening on the
// dgram socket itself (extra info 'socket'): that listener runs after the transport's.
import type * as dgram from 'node:dgram'
import { assertTrace, withTimeout } from '@wireline/core/testing'
import { describe, expect, it } from 'vitest'
import { PAUSED_READ_MAX_BYTES, PAUSED_READ_MAX_DATAGRAMS } from '../src/index.js'
import type { DatagramTransport } from '../src/index.js'
import { HOSTS, WAIT, deadPort, endpoint, rawSocket, settle, sockname } from './helpers.js'
import type { RawPeer } from './helpers.js'

const text = (d: Uint8Array): string => Buffer.from(d).toString()

/** Counts the datagrams (and errors) the transport's socket has emitted. */
function arrivals (t: DatagramTransport): { messages: number, errors: number, until: (check: () => boolean) => Promise<void> } {
  const socket = t.getExtraInfo('socket') as dgram.Socket
  const state = {
    messages: 0,
    errors: 0,
    until: async (check: () => boolean): Promise<void> => {
      await withTimeout(new Promise<void>((resolve) => {
        const poll = (): void => { if (check()) { socket.off('message', poll); socket.off('error', poll); resolve() } }
        socket.on('message', poll)
        socket.on('error', poll)
        poll()
      }), WAIT, 'datagrams to reach the transport')
    },
  }
  socket.on('message', () => { state.messages++ })
  socket.on('error', () => { state.errors++ })
  return state
}

/** Sends `count` datagrams made by `make(i)`, in batches small enough for the kernel's receive buffer. */
async function sendInBatches (peer: RawPeer, to: [string, number], t: DatagramTransport, count: number, make: (i: number) => Buffer): Promise<void> {
  const seen = arrivals(t)
  const batch = 32
  for (let i = 0; i < count; i += batch) {
    const n = Math.min(batch, count - i)
    for (let j = 0; j < n; j++) await peer.send(make(i + j), to)
    await seen.until(() => seen.messages >= i + n)
  }
}

describe.each(HOSTS)('on %s', (host) => {
  it('while paused nothing is delivered; on resume everything comes, in order, never inside resumeReading()', async () => {
    const peer = await rawSocket(host)
    const [t, p] = await endpoint({ localAddr: [host, 0] })
    const seen = arrivals(t)
    t.pauseReading()
    expect(t.isReading()).toBe(false)
    for (let i = 0; i < 5; i++) await peer.send(`m${i}`, sockname(t))
    await seen.until(() => seen.messages === 5)
    expect(p.events).toEqual(['connectionMade'])
    t.resumeReading()
    expect(t.isReading()).toBe(true)
    expect(p.events).toEqual(['connectionMade']) // not synchronously
    await p.untilDatagrams(5)
    expect(p.datagrams.map(([d]) => text(d))).toEqual(['m0', 'm1', 'm2', 'm3', 'm4'])
    for (const [, addr] of p.datagrams) expect(addr).toEqual(peer.address)
    // and reading goes on as usual
    await peer.send('after', sockname(t))
    await p.untilDatagrams(6)
    expect(text(p.datagrams[5]![0])).toBe('after')
    assertTrace(p.events, 'datagram', { complete: false })
  })

  it('pause and resume are idempotent', async () => {
    const peer = await rawSocket(host)
    const [t, p] = await endpoint({ localAddr: [host, 0] })
    t.resumeReading() // not paused: nothing happens
    expect(t.isReading()).toBe(true)
    t.pauseReading()
    t.pauseReading()
    expect(t.isReading()).toBe(false)
    const seen = arrivals(t)
    await peer.send('x', sockname(t))
    await peer.send('y', sockname(t))
    await seen.until(() => seen.messages === 2)
    expect(p.events).toEqual(['connectionMade'])
    t.resumeReading()
    t.resumeReading()
    await p.untilDatagrams(2)
    expect(p.datagrams.map(([d]) => text(d))).toEqual(['x', 'y'])
  })

  it('a protocol that pauses inside datagramReceived while held datagrams are delivered stops them there', async () => {
    const peer = await rawSocket(host)
    const [t, p] = await endpoint({ localAddr: [host, 0] }, {
      onDatagram: (data, _addr, tr) => { if (text(data) === 'm2') tr.pauseReading() },
    })
    const seen = arrivals(t)
    t.pauseReading()
    for (let i = 0; i < 5; i++) await peer.send(`m${i}`, sockname(t))
    await seen.until(() => seen.messages === 5)
    t.resumeReading()
    await p.untilDatagrams(3)
    expect(t.isReading()).toBe(false)
    // one more arrives while paused again: it queues behind m3, m4
    await peer.send('m5', sockname(t))
    await seen.until(() => seen.messages === 6)
    expect(p.datagrams.map(([d]) => text(d))).toEqual(['m0', 'm1', 'm2'])
    t.resumeReading()
    await p.untilDatagrams(6)
    expect(p.datagrams.map(([d]) => text(d))).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5'])
  })

  it('close() while paused drops what was held; connectionLost follows, no datagramReceived', async () => {
    const peer = await rawSocket(host)
    const [t, p] = await endpoint({ localAddr: [host, 0] })
    const seen = arrivals(t)
    t.pauseReading()
    for (let i = 0; i < 3; i++) await peer.send(`m${i}`, sockname(t))
    await seen.until(() => seen.messages === 3)
    t.resumeReading() // delivery is scheduled...
    t.close() // ...but close() stops reading at once
    t.resumeReading() // no-op on a closing transport
    expect(t.isReading()).toBe(false)
    expect(await p.lost).toBeNull()
    expect(p.events).toEqual(['connectionMade', 'connectionLost'])
  })

  it('pauseReading on a closing transport is a no-op; isReading stays false', async () => {
    const [t, p] = await endpoint({ localAddr: [host, 0] })
    t.close()
    t.pauseReading()
    t.resumeReading()
    expect(t.isReading()).toBe(false)
    await p.lost
    expect(t.isReading()).toBe(false)
  })
})

describe('the bound on what is kept while paused', () => {
  it(`keeps the first ${PAUSED_READ_MAX_DATAGRAMS} datagrams and drops later ones (count bound)`, async () => {
    const peer = await rawSocket()
    const [t, p] = await endpoint({ localAddr: ['127.0.0.1', 0] })
    t.pauseReading()
    const total = PAUSED_READ_MAX_DATAGRAMS + 40
    await sendInBatches(peer, sockname(t), t, total, (i) => Buffer.from(String(i)))
    expect(p.events).toEqual(['connectionMade'])
    t.resumeReading()
    await p.untilDatagrams(PAUSED_READ_MAX_DATAGRAMS)
    await settle() // absence: the dropped ones do not come later
    expect(p.datagrams.length).toBe(PAUSED_READ_MAX_DATAGRAMS)
    expect(p.datagrams.map(([d]) => Number(text(d)))).toEqual(Array.from({ length: PAUSED_READ_MAX_DATAGRAMS }, (_, i) => i))
    // and the endpoint reads on
    await peer.send('next', sockname(t))
    await p.untilDatagrams(PAUSED_READ_MAX_DATAGRAMS + 1)
    expect(text(p.datagrams.at(-1)![0])).toBe('next')
  })

  it(`keeps at most ${PAUSED_READ_MAX_BYTES} bytes: a datagram that would go over is dropped, a smaller one may still fit`, async () => {
    const peer = await rawSocket()
    const [t, p] = await endpoint({ localAddr: ['127.0.0.1', 0] })
    t.pauseReading()
    const size = 1024
    const fit = PAUSED_READ_MAX_BYTES / size // 256 datagrams of 1 KiB fill the bound exactly
    const kib = (i: number): Buffer => Buffer.alloc(size, i % 251)
    await sendInBatches(peer, sockname(t), t, fit + 3, kib)
    // full to the byte: even an empty datagram still fits (it weighs nothing), one byte does not
    await sendInBatches(peer, sockname(t), t, 1, () => Buffer.alloc(1))
    await sendInBatches(peer, sockname(t), t, 1, () => Buffer.alloc(0))
    t.resumeReading()
    await p.untilDatagrams(fit + 1)
    await settle() // absence: nothing beyond the bound comes later
    expect(p.datagrams.length).toBe(fit + 1)
    expect(p.datagrams.slice(0, fit).every(([d], i) => d.length === size && d[0] === i % 251)).toBe(true)
    expect(p.datagrams[fit]![0].length).toBe(0)
  })
})

it('a receive error that arrives while paused (ICMP refusal) is held and delivered in order on resume', async () => {
  const port = await deadPort()
  const [t, p] = await endpoint({ remoteAddr: ['127.0.0.1', port] })
  const seen = arrivals(t)
  t.pauseReading()
  t.sendto('anyone?')
  await seen.until(() => seen.errors === 1)
  expect(p.events).toEqual(['connectionMade'])
  t.resumeReading()
  await p.untilErrors(1)
  expect(p.errors[0]).toMatchObject({ code: 'ECONNREFUSED' })
  expect(p.events).toEqual(['connectionMade', 'errorReceived'])
  expect(t.isClosing()).toBe(false)
})
