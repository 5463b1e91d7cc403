import * as dns from 'node:dns'
import { describe, expect, it, vi } from 'vitest'
import { RecordingProtocol, withTimeout } from '@wireline/core/testing'
import { createConnection } from '../src/index.js'
import { closedPort, rawServer } from './helpers.js'

const T = 10_000

/**
 * This machine's `localhost` resolves to 127.0.0.1 only, so the name lookup is stubbed to
 * return two addresses (IPv6 first, as many systems do); the connections themselves are real.
 */
function resolveTo (addresses: Array<{ address: string, family: number }>): void {
  vi.spyOn(dns.promises, 'lookup').mockResolvedValue(addresses as never)
}

describe('connecting to a name with several addresses', () => {
  for (const delay of [undefined, 50]) {
    const how = delay === undefined ? 'one after another' : `staggered (happyEyeballsDelay ${delay} ms)`
    it(`tries the addresses ${how}: ::1 refuses, 127.0.0.1 answers`, async () => {
      const peer = await rawServer() // listens on 127.0.0.1 only
      resolveTo([{ address: '::1', family: 6 }, { address: '127.0.0.1', family: 4 }])
      const [t, p] = await withTimeout(createConnection(() => new RecordingProtocol(), 'dual.test', peer.port,
        delay === undefined ? {} : { happyEyeballsDelay: delay }), T)
      expect(t.getExtraInfo('peername')).toEqual(['127.0.0.1', peer.port])
      expect(p.trace()).toEqual(['connectionMade'])
      t.close()
      await withTimeout(p.lost, T)
    })
  }

  it('when every address refuses, rejects once with all the errors and calls no callback', async () => {
    const port = await closedPort()
    resolveTo([{ address: '::1', family: 6 }, { address: '127.0.0.1', family: 4 }])
    let called = false
    const err = await createConnection(() => { called = true; return new RecordingProtocol() }, 'dual.test', port,
      { happyEyeballsDelay: 20 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AggregateError)
    expect((err as NodeJS.ErrnoException).code).toBe('ECONNREFUSED')
    expect((err as AggregateError).errors.map((e: NodeJS.ErrnoException) => e.code)).toEqual(['ECONNREFUSED', 'ECONNREFUSED'])
    expect((err as Error).message).toMatch(/^Multiple exceptions: /)
    expect(called).toBe(false)
  })

  it('with localAddr, uses the local address of the family of each attempt', async () => {
    const peer = await rawServer()
    resolveTo([{ address: '::1', family: 6 }, { address: '127.0.0.1', family: 4 }])
    // localAddr resolves through the same stub: both families available
    const [t, p] = await createConnection(() => new RecordingProtocol(), 'dual.test', peer.port, { localAddr: ['local.test', 0] })
    expect((t.getExtraInfo('sockname') as [string, number])[0]).toBe('127.0.0.1')
    t.close()
    await withTimeout(p.lost, T)
  })
})
