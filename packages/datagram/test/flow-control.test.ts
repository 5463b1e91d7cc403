// Write flow control on loopback, where the kernel takes every datagram at once: the limits
// API (asyncio A5-A11) and "a send the kernel takes whole never pauses" (A17). Pausing and
// resuming with a real send queue are in queued/flow-control.test.ts.
import { describe, expect, it } from 'vitest'
import { endpoint, rawSocket, settle } from './helpers.js'

describe('write buffer limits', () => {
  it('default to [16384, 65536] and follow asyncio\'s rules', async () => {
    const [t] = await endpoint({ localAddr: ['127.0.0.1', 0] })
    expect(t.getWriteBufferLimits()).toEqual([16384, 65536])
    t.setWriteBufferLimits({ high: 100 })
    expect(t.getWriteBufferLimits()).toEqual([25, 100])
    t.setWriteBufferLimits({ low: 100 })
    expect(t.getWriteBufferLimits()).toEqual([100, 400])
    t.setWriteBufferLimits({ high: 0 })
    expect(t.getWriteBufferLimits()).toEqual([0, 0])
    t.setWriteBufferLimits({ high: 10, low: 10 })
    expect(t.getWriteBufferLimits()).toEqual([10, 10])
    t.setWriteBufferLimits({ high: null, low: undefined })
    expect(t.getWriteBufferLimits()).toEqual([16384, 65536])
    t.setWriteBufferLimits({ high: 1000, low: 10 })
    t.setWriteBufferLimits()
    expect(t.getWriteBufferLimits()).toEqual([16384, 65536])
  })

  it('reject a negative value or low > high with RangeError and keep the old limits', async () => {
    const [t] = await endpoint({ localAddr: ['127.0.0.1', 0] })
    t.setWriteBufferLimits({ high: 1000, low: 100 })
    expect(() => t.setWriteBufferLimits({ high: -1 })).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }))
    expect(() => t.setWriteBufferLimits({ low: -1 })).toThrow(RangeError)
    expect(() => t.setWriteBufferLimits({ high: 10, low: 20 })).toThrow(expect.objectContaining({ message: 'high (10) must be >= low (20) must be >= 0' }))
    expect(() => t.setWriteBufferLimits({ high: '10' as never })).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }))
    expect(t.getWriteBufferLimits()).toEqual([100, 1000])
  })
})

describe('on loopback the kernel takes each datagram whole', () => {
  it('a burst never buffers and never pauses, even with high = 0 (asyncio A17)', async () => {
    const peer = await rawSocket()
    const [t, p] = await endpoint({ remoteAddr: peer.address })
    t.setWriteBufferLimits({ high: 0 })
    const payload = Buffer.alloc(1024, 7)
    let maxSize = 0
    const deadline = Date.now() + 2_000
    let sent = 0
    for (; sent < 2000 && Date.now() < deadline; sent++) {
      t.sendto(payload)
      maxSize = Math.max(maxSize, t.getWriteBufferSize())
    }
    expect(sent).toBeGreaterThan(100)
    expect(maxSize).toBe(0)
    await peer.untilMessages(1) // the kernel drops what the peer's buffer cannot hold; some arrive
    await settle() // absence: no pause or error comes later
    expect(p.events).toEqual(['connectionMade'])
    expect(t.getWriteBufferSize()).toBe(0)
  })

  it('getWriteBufferSize is 0 once closing is done and after abort', async () => {
    const peer = await rawSocket()
    const [t, p] = await endpoint({ remoteAddr: peer.address })
    t.sendto('x')
    t.abort()
    expect(t.getWriteBufferSize()).toBe(0)
    await p.lost
    expect(t.getWriteBufferSize()).toBe(0)
    t.setWriteBufferLimits({ high: 0 }) // still answers, and pauses nothing
    expect(p.events).toEqual(['connectionMade', 'connectionLost'])
  })
})
