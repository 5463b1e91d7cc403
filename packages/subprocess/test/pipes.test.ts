import { describe, expect, it } from 'vitest'
import { assertTrace, withTimeout } from '@wireline/core/testing'
import { UnsupportedError, WriteAfterEofError } from '../src/index.js'
import type { ReadTransport } from '../src/index.js'
import { pattern } from './fixtures/pattern.mjs'
import { T, runFixture, sha256, turn, untilText, watchExceptions } from './helpers.js'

const MiB = 1024 * 1024

describe('the pipes carry every byte', () => {
  it('16 MiB on stdout and 16 MiB on stderr arrive intact, each in order, data before its pipe closes', async () => {
    watchExceptions()
    const size = 16 * MiB
    const [t, p] = await runFixture('output.mjs', [String(size), String(size)])
    await withTimeout(p.lost, 60_000)
    expect(p.received(1).length).toBe(size)
    expect(p.received(2).length).toBe(size)
    expect(sha256(p.received(1))).toBe(sha256(pattern(1, size)))
    expect(sha256(p.received(2))).toBe(sha256(pattern(2, size)))
    assertTrace(p.events, 'subprocess', { pipedFds: [0, 1, 2] })
    expect(t.getReturncode()).toBe(0)
    expect(p.lostWith).toBe(null)
    expect([...p.pipeErrors.values()]).toEqual([null, null, null])
  })

  it('stdin: 16 MiB written then writeEof reach the child (echoed back intact); stdin flow control reaches the protocol', async () => {
    watchExceptions()
    const size = 16 * MiB
    const data = pattern(3, size)
    const [t, p] = await runFixture('echo.mjs')
    const stdin = t.getPipeTransport(0)!
    stdin.write(data.subarray(0, size / 2))
    // pauseWriting comes synchronously, inside the write that went over the high-water mark
    expect(p.events).toEqual(['connectionMade', 'pauseWriting'])
    expect(stdin.getWriteBufferSize()).toBeGreaterThan(65536)
    stdin.writelines([data.subarray(size / 2, size - 5), data.subarray(size - 5)])
    stdin.writeEof()
    expect(stdin.isClosing()).toBe(true)
    expect(() => stdin.write('more')).toThrow(WriteAfterEofError)
    await withTimeout(p.lost, 60_000)
    expect(p.received(1).length).toBe(size)
    expect(sha256(p.received(1))).toBe(sha256(data))
    expect(p.count('pauseWriting')).toBe(1)
    expect(p.count('resumeWriting')).toBe(1)
    expect(p.events.indexOf('resumeWriting')).toBeLessThan(p.events.indexOf('pipeConnectionLost(0)'))
    expect(p.pipeErrors.get(0)).toBe(null)
    assertTrace(p.events, 'subprocess', { pipedFds: [0, 1, 2] })
    expect(t.getReturncode()).toBe(0)
  })

  it("the stdin transport is core's write path: limits, exact buffer size, pause on setWriteBufferLimits", async () => {
    const [t, p] = await runFixture('sleep.mjs') // never reads its stdin
    await untilText(p, 1, 'ready\n')
    const stdin = t.getPipeTransport(0)!
    stdin.setWriteBufferLimits({ high: 4 * MiB })
    expect(stdin.getWriteBufferLimits()).toEqual([MiB, 4 * MiB])
    stdin.write(Buffer.alloc(2 * MiB))
    expect(p.count('pauseWriting')).toBe(0)
    const size = stdin.getWriteBufferSize()
    expect(size).toBeGreaterThan(0)
    expect(size).toBeLessThanOrEqual(2 * MiB)
    stdin.setWriteBufferLimits({ high: 1000, low: 10 })
    // new limits apply at once: the pause comes synchronously
    expect(p.count('pauseWriting')).toBe(1)
    expect(() => stdin.setWriteBufferLimits({ high: 1, low: 2 })).toThrow(RangeError)
    expect(stdin.getWriteBufferLimits()).toEqual([10, 1000])
    expect(() => stdin.write(42 as never)).toThrow(TypeError)
    // a write-only transport has no read side (asyncio: NotImplementedError)
    expect(() => (stdin as unknown as ReadTransport).pauseReading()).toThrow(UnsupportedError)
    expect(() => (stdin as unknown as ReadTransport).resumeReading()).toThrow(UnsupportedError)
    t.close()
    await withTimeout(p.lost, T)
    // closed with bytes still buffered and the child killed: the pipe broke
    expect((p.pipeErrors.get(0) as NodeJS.ErrnoException | null)?.code).toBe('EPIPE')
    expect(p.count('resumeWriting')).toBe(0)
    assertTrace(p.events, 'subprocess', { pipedFds: [0, 1, 2] })
  })

  it('closing the stdin pipe gives the child EOF and pipeConnectionLost(0, null); later writes are dropped', async () => {
    watchExceptions()
    const [t, p] = await runFixture('sleep.mjs', ['until-eof']) // exits at EOF on stdin
    const stdin = t.getPipeTransport(0)!
    stdin.write('some input')
    stdin.close()
    expect(stdin.isClosing()).toBe(true)
    stdin.write('dropped') // after close(): dropped, no throw
    await withTimeout(p.lost, T)
    expect(p.pipeErrors.get(0)).toBe(null)
    expect(t.getReturncode()).toBe(0)
    assertTrace(p.events, 'subprocess', { pipedFds: [0, 1, 2] })
  })
})

describe('reading backpressure', () => {
  it('pauseReading on stdout blocks the child once the pipe is full; resumeReading lets it finish, bytes intact', async () => {
    watchExceptions()
    const size = 8 * MiB
    const [t, p] = await runFixture('output.mjs', [String(size), '0'], undefined, {
      onConnectionMade: (tr) => { tr.getPipeTransport(1)!.pauseReading() },
    })
    const stdout = t.getPipeTransport(1)!
    expect(stdout.isReading()).toBe(false)
    // The child has 8 MiB to write, far more than the socket and stream buffers hold: it
    // cannot exit while we do not read. Watch it for a while (the wait only bounds how long
    // a broken backpressure gets to show itself; the test does not depend on it to pass).
    const exited = await Promise.race([p.exited.then(() => true), new Promise((resolve) => setTimeout(resolve, 500, false))])
    expect(exited).toBe(false)
    expect(p.events.filter((e) => e === 'pipeDataReceived(1)')).toEqual([])
    expect(t.getReturncode()).toBe(null)
    stdout.resumeReading()
    expect(stdout.isReading()).toBe(true)
    await withTimeout(p.lost, 60_000)
    expect(sha256(p.received(1))).toBe(sha256(pattern(1, size)))
    expect(t.getReturncode()).toBe(0)
    assertTrace(p.events, 'subprocess', { pipedFds: [0, 1, 2] })
  })

  it('a paused pipe stays paused after the child exits (Node resumes the stdio of an exited child)', async () => {
    watchExceptions()
    const [t, p] = await runFixture('exit.mjs', ['0'], undefined, {
      onConnectionMade: (tr) => {
        tr.getPipeTransport(1)!.pauseReading()
        tr.getPipeTransport(2)!.pauseReading()
      },
    })
    await withTimeout(p.exited, T)
    // Node's flushStdio runs on the tick after 'exit' and its resume one tick later
    await turn()
    await turn()
    expect(p.events.filter((e) => e.startsWith('pipeDataReceived'))).toEqual([])
    expect(p.events).not.toContain('pipeConnectionLost(1)')
    expect(p.events).not.toContain('connectionLost')
    t.getPipeTransport(1)!.resumeReading()
    t.getPipeTransport(2)!.resumeReading()
    await withTimeout(p.lost, T)
    expect(p.received(1).toString()).toBe('out\n')
    expect(p.received(2).toString()).toBe('err\n')
    const afterExit = p.events.slice(p.events.indexOf('processExited'))
    expect(afterExit).toEqual(expect.arrayContaining(['pipeDataReceived(1)', 'pipeDataReceived(2)', 'pipeConnectionLost(1)', 'pipeConnectionLost(2)']))
    assertTrace(p.events, 'subprocess', { pipedFds: [0, 1, 2] })
  })
})
