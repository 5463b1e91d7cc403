import { afterEach, describe, expect, it } from 'vitest'
import { WriteFlowControl } from './flow-control.js'
import { setExceptionHandler } from './exception-handler.js'
import type { ExceptionContext } from './exception-handler.js'

/** A protocol double for pure logic: records pause/resume in order. */
function setup (protocol: { pauseWriting?(): void, resumeWriting?(): void } | null = null) {
  const calls: string[] = []
  const p = protocol ?? {
    pauseWriting: () => { calls.push('pause') },
    resumeWriting: () => { calls.push('resume') },
  }
  const fc = new WriteFlowControl({ flowProtocol: () => p })
  return { fc, calls }
}

afterEach(() => setExceptionHandler(null))

describe('WriteFlowControl limits', () => {
  it('defaults to high 64 KiB, low 16 KiB', () => {
    expect(setup().fc.getLimits()).toEqual([16384, 65536])
  })

  it('derives the missing mark: only high -> low = floor(high / 4)', () => {
    const { fc } = setup()
    fc.setLimits({ high: 100 }, 0)
    expect(fc.getLimits()).toEqual([25, 100])
    fc.setLimits({ high: 7 }, 0)
    expect(fc.getLimits()).toEqual([1, 7])
    fc.setLimits({ high: 3 }, 0)
    expect(fc.getLimits()).toEqual([0, 3])
  })

  it('derives the missing mark: only low -> high = 4 * low', () => {
    const { fc } = setup()
    fc.setLimits({ low: 100 }, 0)
    expect(fc.getLimits()).toEqual([100, 400])
  })

  it('neither, an empty object, null or undefined limits restore the defaults', () => {
    const { fc } = setup()
    for (const arg of [undefined, null, {}, { high: undefined, low: null }]) {
      fc.setLimits({ high: 10, low: 5 }, 0)
      fc.setLimits(arg as never, 0)
      expect(fc.getLimits()).toEqual([16384, 65536])
    }
  })

  it('accepts zero marks and low == high', () => {
    const { fc } = setup()
    fc.setLimits({ high: 0 }, 0)
    expect(fc.getLimits()).toEqual([0, 0])
    fc.setLimits({ high: 10, low: 10 }, 0)
    expect(fc.getLimits()).toEqual([10, 10])
    fc.setLimits({ high: 0, low: 0 }, 0)
    expect(fc.getLimits()).toEqual([0, 0])
  })

  it('rejects low > high, negative and non-integer marks with RangeError, keeping the old limits', () => {
    const { fc } = setup()
    fc.setLimits({ high: 1000, low: 10 }, 0)
    for (const bad of [{ high: 10, low: 11 }, { high: -1 }, { low: -1 }, { high: 1.5 }, { high: Number.NaN }, { high: Infinity }, { low: 200_000, high: 100 }]) {
      expect(() => fc.setLimits(bad, 0)).toThrow(RangeError)
      expect(fc.getLimits()).toEqual([10, 1000])
    }
    let err: unknown
    try { fc.setLimits({ high: 10, low: 20 }, 0) } catch (e) { err = e }
    expect((err as Error).message).toBe('high (10) must be >= low (20) must be >= 0')
    expect((err as NodeJS.ErrnoException).code).toBe('ERR_OUT_OF_RANGE')
  })

  it('only low = 0 derives high = 0', () => {
    const { fc } = setup()
    fc.setLimits({ low: 0 }, 0)
    expect(fc.getLimits()).toEqual([0, 0])
  })

  it('rejects non-numbers and a non-object with TypeError', () => {
    const { fc } = setup()
    expect(() => fc.setLimits({ high: '10' as never }, 0)).toThrow(TypeError)
    expect(() => fc.setLimits({ low: true as never }, 0)).toThrow(TypeError)
    expect(() => fc.setLimits(5 as never, 0)).toThrow(TypeError)
    expect(fc.getLimits()).toEqual([16384, 65536])
  })

  it('rejects a name it does not take (a typo), naming it, and keeps the old limits', () => {
    const { fc } = setup()
    expect(() => fc.setLimits({ hihg: 10 } as never, 0)).toThrow(expect.objectContaining({
      name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE', message: expect.stringContaining("unknown option 'hihg'"),
    }))
    expect(fc.getLimits()).toEqual([16384, 65536])
  })
})

describe('WriteFlowControl pause/resume', () => {
  it('pauses only when strictly over high: size == high does not pause', () => {
    const { fc, calls } = setup()
    fc.setLimits({ high: 100, low: 10 }, 0)
    fc.maybePause(100)
    expect(calls).toEqual([])
    fc.maybePause(101)
    expect(calls).toEqual(['pause'])
    expect(fc.paused).toBe(true)
  })

  it('pauses once per paused period', () => {
    const { fc, calls } = setup()
    fc.setLimits({ high: 100, low: 10 }, 0)
    fc.maybePause(101)
    fc.maybePause(500)
    fc.setLimits({ high: 1, low: 0 }, 500)
    expect(calls).toEqual(['pause'])
  })

  it('resumes at or below low, only after a pause, once', () => {
    const { fc, calls } = setup()
    fc.setLimits({ high: 100, low: 10 }, 0)
    fc.maybeResume(0)
    expect(calls).toEqual([])
    fc.maybePause(101)
    fc.maybeResume(11)
    expect(calls).toEqual(['pause'])
    fc.maybeResume(10)
    expect(calls).toEqual(['pause', 'resume'])
    fc.maybeResume(0)
    expect(calls).toEqual(['pause', 'resume'])
    expect(fc.paused).toBe(false)
  })

  it('pairs pause and resume over many cycles', () => {
    const { fc, calls } = setup()
    fc.setLimits({ high: 64, low: 16 }, 0)
    const sizes = [0, 65, 80, 30, 17, 16, 70, 64, 65, 0, 100, 16]
    for (const s of sizes) {
      fc.maybePause(s)
      fc.maybeResume(s)
    }
    expect(calls).toEqual(['pause', 'resume', 'pause', 'resume', 'pause', 'resume'])
  })

  it('with zero marks any buffered byte pauses and only an empty buffer resumes', () => {
    const { fc, calls } = setup()
    fc.setLimits({ high: 0 }, 0)
    fc.maybePause(0)
    expect(calls).toEqual([])
    fc.maybePause(1)
    expect(calls).toEqual(['pause'])
    fc.maybeResume(1)
    expect(calls).toEqual(['pause'])
    fc.maybeResume(0)
    expect(calls).toEqual(['pause', 'resume'])
  })

  it('setLimits pauses at once when the current size is over the new high, and never resumes', () => {
    const { fc, calls } = setup()
    fc.setLimits({ high: 1000 }, 500)
    expect(calls).toEqual([])
    fc.setLimits({ high: 499 }, 500)
    expect(calls).toEqual(['pause'])
    fc.setLimits({ high: 100_000 }, 500)
    expect(calls).toEqual(['pause'])
    expect(fc.paused).toBe(true)
  })

  it('setLimits with size == new high does not pause', () => {
    const { fc, calls } = setup()
    fc.setLimits({ high: 500 }, 500)
    expect(calls).toEqual([])
  })

  it('a throwing pauseWriting/resumeWriting is reported and the flag still toggles', () => {
    const reports: ExceptionContext[] = []
    setExceptionHandler((ctx) => { reports.push(ctx) })
    const boomPause = new Error('pause boom')
    const boomResume = new Error('resume boom')
    const protocol = {
      pauseWriting () { throw boomPause },
      resumeWriting () { throw boomResume },
    }
    const transport = { name: 'the transport' }
    const fc = new WriteFlowControl({ flowProtocol: () => protocol }, transport)
    fc.setLimits({ high: 10 }, 0)
    fc.maybePause(11)
    expect(fc.paused).toBe(true)
    fc.maybeResume(0)
    expect(fc.paused).toBe(false)
    expect(reports.map((r) => [r.message, r.exception, r.transport, r.protocol])).toEqual([
      ['protocol.pauseWriting() failed', boomPause, transport, protocol],
      ['protocol.resumeWriting() failed', boomResume, transport, protocol],
    ])
  })

  it('works with a protocol that lacks the callbacks, or none at all', () => {
    const fc = new WriteFlowControl({ flowProtocol: () => ({}) })
    fc.maybePause(100_000)
    expect(fc.paused).toBe(true)
    fc.maybeResume(0)
    expect(fc.paused).toBe(false)
    const none = new WriteFlowControl({ flowProtocol: () => null })
    none.maybePause(100_000)
    expect(none.paused).toBe(true)
  })

  it('calls the protocol current at the moment of the crossing', () => {
    const calls: string[] = []
    let current: object = { pauseWriting: () => calls.push('a.pause') }
    const fc = new WriteFlowControl({ flowProtocol: () => current as never })
    fc.maybePause(100_000)
    current = { resumeWriting: () => calls.push('b.resume') }
    fc.maybeResume(0)
    expect(calls).toEqual(['a.pause', 'b.resume'])
  })

  it('a subclass that has flowProtocol() itself leaves the host out, and reports name the transport given', () => {
    const calls: string[] = []
    const reports: ExceptionContext[] = []
    setExceptionHandler((ctx) => { reports.push(ctx) })
    const transport = { name: 'the transport' }
    const protocol = {
      pauseWriting: () => { calls.push('pause'); throw new Error('boom') },
      resumeWriting: () => { calls.push('resume') },
    }
    class WriteSide extends WriteFlowControl {
      constructor () { super(undefined, transport) }
      flowProtocol () { calls.push('asked'); return protocol }
    }
    const side = new WriteSide()
    side.setLimits({ high: 10 }, 0)
    side.maybePause(11)
    side.maybeResume(2)
    expect(calls).toEqual(['asked', 'pause', 'asked', 'resume'])
    expect(reports.map((r) => r.transport)).toEqual([transport])
  })
})
