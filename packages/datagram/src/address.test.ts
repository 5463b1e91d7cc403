// Pure logic, no I/O: address checks, option parsing, and asyncio's pairing of local and
// remote addresses by IP version (create_datagram_endpoint).
import { describe, expect, it } from 'vitest'
import { checkAddress, formatAddress, pairAddresses, parseEndpointOptions, parseFamily } from './address.js'
import type { EndpointSpec, ResolvedAddress } from './address.js'

const spec = (o: Partial<EndpointSpec>): EndpointSpec =>
  ({ localAddr: null, remoteAddr: null, family: null, reusePort: false, allowBroadcast: false, signal: null, ...o })
const v4 = (host: string, port: number): ResolvedAddress => ({ family: 4, addr: [host, port] })
const v6 = (host: string, port: number): ResolvedAddress => ({ family: 6, addr: [host, port] })

describe('checkAddress', () => {
  it('returns a valid [host, port] as is', () => {
    const a: [string, number] = ['::1', 53]
    expect(checkAddress(a, 'addr', 1)).toBe(a)
    expect(checkAddress(['', 0], 'localAddr', 0)).toEqual(['', 0])
  })
  it('names the argument in its errors', () => {
    expect(() => checkAddress(['h', 0], 'remoteAddr', 1)).toThrow('remoteAddr port must be an integer from 1 to 65535, got 0')
    expect(() => checkAddress('h', 'addr', 1)).toThrow('addr must be [host, port], got string')
    expect(() => checkAddress(['h'], 'addr', 1)).toThrow('addr must be [host, port], got an array of length 1')
  })
})

describe('parseFamily', () => {
  it.each([[4, 4], ['IPv4', 4], [6, 6], ['IPv6', 6], [0, null], [null, null], [undefined, null]])('%s → %s', (input, out) => {
    expect(parseFamily(input)).toBe(out)
  })
  it('rejects anything else', () => {
    expect(() => parseFamily(true)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }))
    expect(() => parseFamily('ipv4')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }))
  })
})

describe('parseEndpointOptions', () => {
  it('fills in the defaults', () => {
    expect(parseEndpointOptions({ localAddr: ['127.0.0.1', 0] })).toEqual(spec({ localAddr: ['127.0.0.1', 0] }))
    expect(parseEndpointOptions({ family: 'IPv6', reusePort: null, allowBroadcast: true }))
      .toEqual(spec({ family: 6, allowBroadcast: true }))
  })
  it('accepts host names of any version with a family (checked once resolved)', () => {
    expect(parseEndpointOptions({ localAddr: ['localhost', 0], remoteAddr: ['::1', 9], family: 6 }).family).toBe(6)
  })
})

describe('pairAddresses (asyncio create_datagram_endpoint)', () => {
  it('one candidate of the family when no address is given', () => {
    expect(pairAddresses(spec({ family: 6 }), [], [])).toEqual([{ family: 6, local: null, remote: null }])
  })
  it('per IP version, the first local and the first remote, in the order the versions appear', () => {
    const s = spec({ localAddr: ['localhost', 0], remoteAddr: ['peer', 9] })
    const out = pairAddresses(s, [v6('::1', 0), v4('127.0.0.1', 0), v4('127.0.0.2', 0)], [v4('127.0.0.9', 9), v6('::9', 9)])
    expect(out).toEqual([
      { family: 6, local: ['::1', 0], remote: ['::9', 9] },
      { family: 4, local: ['127.0.0.1', 0], remote: ['127.0.0.9', 9] },
    ])
  })
  it('skips a version that lacks a side the caller asked for', () => {
    const s = spec({ localAddr: ['localhost', 0], remoteAddr: ['peer', 9] })
    expect(pairAddresses(s, [v4('127.0.0.1', 0), v6('::1', 0)], [v6('::9', 9)]))
      .toEqual([{ family: 6, local: ['::1', 0], remote: ['::9', 9] }])
  })
  it('keeps only the requested family', () => {
    const s = spec({ remoteAddr: ['peer', 9], family: 4 })
    expect(pairAddresses(s, [], [v6('::9', 9), v4('127.0.0.9', 9)])).toEqual([{ family: 4, local: null, remote: ['127.0.0.9', 9] }])
  })
  it('throws EADDRNOTAVAIL when no version pairs (asyncio: can not get address information)', () => {
    const s = spec({ localAddr: ['localhost', 0], remoteAddr: ['::1', 9] })
    expect(() => pairAddresses(s, [v4('127.0.0.1', 0)], [v6('::1', 9)])).toThrow(expect.objectContaining({ code: 'EADDRNOTAVAIL' }))
    expect(() => pairAddresses(spec({ remoteAddr: ['nowhere', 9] }), [], [])).toThrow(expect.objectContaining({ code: 'EADDRNOTAVAIL' }))
  })
})

it('formatAddress shows an address as asyncio does', () => {
  expect(formatAddress(['::1', 53])).toBe("('::1', 53)")
})
