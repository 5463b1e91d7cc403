import { describe, expect, it } from 'vitest'
import { withTimeout } from '@wireline/core/testing'
import { IncompleteReadError, InvalidStateError, LimitOverrunError, StreamReader, WirelineError } from '../src/index.js'
import type { ReadTransport } from '../src/index.js'

const T = 5_000
const text = (b: Uint8Array): string => Buffer.from(b).toString()

/** A reader already holding `chunks`, optionally ended. */
function readerWith (chunks: Array<string | Uint8Array>, { eof = false, limit }: { eof?: boolean, limit?: number } = {}): StreamReader {
  const r = new StreamReader({ limit })
  for (const c of chunks) r.feedData(typeof c === 'string' ? Buffer.from(c) : c)
  if (eof) r.feedEof()
  return r
}

/** A stand-in transport that records pauseReading/resumeReading (the reader's only calls). */
function fakeTransport (): ReadTransport & { calls: string[] } {
  const calls: string[] = []
  let reading = true
  return {
    calls,
    pauseReading () { calls.push('pause'); reading = false },
    resumeReading () { calls.push('resume'); reading = true },
    isReading: () => reading,
  } as unknown as ReadTransport & { calls: string[] }
}

describe('StreamReader.read', () => {
  it('read(n) returns at most n buffered bytes, across chunks, in order', async () => {
    const r = readerWith(['ab', 'cd', 'ef'])
    expect(text(await r.read(3))).toBe('abc')
    expect(text(await r.read(1))).toBe('d')
    expect(text(await r.read(100))).toBe('ef')
  })

  it('read(n) waits for the first byte, then returns what there is', async () => {
    const r = new StreamReader()
    const p = r.read(10)
    r.feedData(Buffer.from('xyz'))
    expect(text(await withTimeout(p, T))).toBe('xyz')
  })

  it('read(0) is empty at once, even with nothing buffered; read() at EOF is empty', async () => {
    const r = new StreamReader()
    expect((await withTimeout(r.read(0), T)).length).toBe(0)
    r.feedEof()
    expect((await r.read(5)).length).toBe(0)
    expect((await r.read()).length).toBe(0)
  })

  it('read() (n = -1) reads everything up to EOF, beyond the limit', async () => {
    const r = new StreamReader({ limit: 4 })
    const all = r.read()
    for (const part of ['0123', '4567', '89ab', 'cd']) r.feedData(Buffer.from(part))
    r.feedEof()
    expect(text(await withTimeout(all, T))).toBe('0123456789abcd')
    expect(r.atEof()).toBe(true)
  })

  it('atEof is true only once the EOF came and the buffer is empty', async () => {
    const r = readerWith(['a'], { eof: true })
    expect(r.atEof()).toBe(false)
    await r.read(1)
    expect(r.atEof()).toBe(true)
  })

  it('two reads waiting at once: the second throws InvalidStateError', async () => {
    const r = new StreamReader()
    const first = r.read(1)
    await expect(r.read(1)).rejects.toBeInstanceOf(InvalidStateError)
    r.feedData(Buffer.from('z'))
    expect(text(await first)).toBe('z')
  })

  it('setException rejects the pending read and every later one, even with data buffered', async () => {
    const r = new StreamReader()
    const pending = r.readexactly(4)
    const boom = new Error('boom')
    r.feedData(Buffer.from('ab'))
    r.setException(boom)
    await expect(pending).rejects.toBe(boom)
    await expect(r.read(1)).rejects.toBe(boom)
    await expect(r.readline()).rejects.toBe(boom)
    expect(r.exception()).toBe(boom)
  })

  it('checks its arguments at the call', () => {
    const r = new StreamReader()
    expect(() => r.read('1' as never)).toThrow(TypeError)
    expect(() => r.read(1.5)).toThrow(RangeError)
    expect(() => r.readexactly(-1)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }))
    expect(() => r.readuntil('')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }))
    expect(() => r.readuntil([])).toThrow(TypeError)
    expect(() => r.readuntil(42 as never)).toThrow(TypeError)
    expect(() => new StreamReader({ limit: 0 })).toThrow(RangeError)
    expect(() => new StreamReader({ limt: 4 } as never)).toThrow(/StreamReader\(\): unknown option 'limt'/)
    expect(() => new StreamReader({ limit: 'big' as never })).toThrow(TypeError)
  })
})

describe('StreamReader.readexactly', () => {
  it('waits for exactly n bytes, more than the limit too', async () => {
    const r = new StreamReader({ limit: 2 })
    const p = r.readexactly(7)
    for (const c of ['abc', 'de', 'fghij']) r.feedData(Buffer.from(c))
    expect(text(await withTimeout(p, T))).toBe('abcdefg')
    expect(text(await r.read(10))).toBe('hij')
  })

  it('EOF first: IncompleteReadError with partial and expected; the partial bytes are consumed', async () => {
    const r = new StreamReader()
    const p = r.readexactly(10)
    r.feedData(Buffer.from('1234'))
    r.feedEof()
    const err = await p.catch((e: unknown) => e) as IncompleteReadError
    expect(err).toBeInstanceOf(IncompleteReadError)
    expect(err).toBeInstanceOf(WirelineError)
    expect(err.code).toBe('WL_ERR_INCOMPLETE_READ')
    expect(text(err.partial)).toBe('1234')
    expect(err.expected).toBe(10)
    expect(err.message).toBe('4 bytes read on a total of 10 expected bytes')
    expect(r.atEof()).toBe(true)
  })
})

describe('the stream errors', () => {
  it('are WirelineErrors whose instanceof holds by brand, across installed copies', () => {
    const e = new LimitOverrunError('over', 7)
    expect(e).toBeInstanceOf(WirelineError)
    expect(e).toBeInstanceOf(Error)
    expect([e.name, e.code, e.consumed]).toEqual(['LimitOverrunError', 'WL_ERR_LIMIT_OVERRUN', 7])
    expect({ [Symbol.for('wireline.error.WL_ERR_LIMIT_OVERRUN')]: true }).toBeInstanceOf(LimitOverrunError)
    expect({ [Symbol.for('wireline.error.WL_ERR_INCOMPLETE_READ')]: true }).toBeInstanceOf(IncompleteReadError)
    expect(e).not.toBeInstanceOf(IncompleteReadError)
    expect(new IncompleteReadError(Buffer.from('ab'), null).message).toBe('2 bytes read on a total of null expected bytes')
  })
})

describe('StreamReader.readline and readuntil', () => {
  it('readline returns lines through \\n, then what is left at EOF, then empty', async () => {
    const r = readerWith(['one\ntw', 'o\n', 'thr', 'ee'], { eof: true })
    expect(text(await r.readline())).toBe('one\n')
    expect(text(await r.readline())).toBe('two\n')
    expect(text(await r.readline())).toBe('three')
    expect((await r.readline()).length).toBe(0)
  })

  it('readline waits across chunks, for a separator split between them too', async () => {
    const r = new StreamReader()
    const p = r.readuntil('\r\n')
    r.feedData(Buffer.from('HTTP/1.1 200 OK\r'))
    r.feedData(Buffer.from('\nrest'))
    expect(text(await withTimeout(p, T))).toBe('HTTP/1.1 200 OK\r\n')
    expect(text(await r.read(4))).toBe('rest')
  })

  it('readuntil takes bytes or strings (UTF-8) as separators', async () => {
    const r = readerWith(['a€b|c'])
    expect(text(await r.readuntil('€'))).toBe('a€')
    expect(text(await r.readuntil(Uint8Array.of(0x7c)))).toBe('b|')
  })

  it('readuntil with several separators returns at the one that ends first', async () => {
    const r = readerWith(['key=value;next\r\nmore'])
    expect(text(await r.readuntil(['\r\n', ';', '=']))).toBe('key=')
    expect(text(await r.readuntil(['\r\n', ';']))).toBe('value;')
    expect(text(await r.readuntil(['\n', '\r\n']))).toBe('next\r\n') // both end at the same byte
    const r2 = readerWith(['abcd'])
    expect(text(await r2.readuntil(['bcd', 'ab']))).toBe('ab') // 'ab' ends at 2, 'bcd' at 4: the earlier end wins
  })

  it('readuntil at EOF without a separator: IncompleteReadError with everything, expected null', async () => {
    const r = readerWith(['no separator'], { eof: true })
    const err = await r.readuntil('\n').catch((e: unknown) => e) as IncompleteReadError
    expect(err).toBeInstanceOf(IncompleteReadError)
    expect(text(err.partial)).toBe('no separator')
    expect(err.expected).toBe(null)
    expect(r.atEof()).toBe(true)
  })

  it('readuntil: separator not found within the limit → LimitOverrunError, the data stays', async () => {
    const r = readerWith(['0123456789'], { limit: 5 })
    const err = await r.readuntil('\n').catch((e: unknown) => e) as LimitOverrunError
    expect(err).toBeInstanceOf(LimitOverrunError)
    expect(err.code).toBe('WL_ERR_LIMIT_OVERRUN')
    expect(err.consumed).toBe(10) // asyncio: buflen + 1 - len(separator)
    expect(text(await r.read(100))).toBe('0123456789')
  })

  it('readuntil: separator found beyond the limit → LimitOverrunError with its position', async () => {
    const r = readerWith(['01234567\nrest'], { limit: 5 })
    const err = await r.readuntil('\n').catch((e: unknown) => e) as LimitOverrunError
    expect(err).toBeInstanceOf(LimitOverrunError)
    expect(err.consumed).toBe(8)
    expect(text(await r.readexactly(9))).toBe('01234567\n')
  })

  it('a line of exactly limit bytes (without its \\n) is fine', async () => {
    const r = readerWith(['12345\n'], { limit: 5 })
    expect(text(await r.readline())).toBe('12345\n')
  })

  it('readline over the limit throws RangeError and drops that line through its \\n', async () => {
    const r = readerWith(['0123456789\nnext\n'], { limit: 4 })
    const err = await r.readline().catch((e: unknown) => e) as RangeError
    expect(err).toBeInstanceOf(RangeError)
    expect(err.cause).toBeInstanceOf(LimitOverrunError)
    expect(text(await r.readline())).toBe('next\n')
  })

  it('readline over the limit without a \\n drops the whole buffer', async () => {
    const r = readerWith(['0123456789'], { limit: 4 })
    await expect(r.readline()).rejects.toBeInstanceOf(RangeError)
    r.feedData(Buffer.from('tail\n'))
    expect(text(await r.readline())).toBe('tail\n')
  })

  it('a long line trickling in one byte at a time is read in linear time', async () => {
    const n = 60_000
    const r = new StreamReader({ limit: 64 * 1024 })
    const p = r.readline()
    const started = performance.now()
    for (let i = 0; i < n; i++) {
      r.feedData(Buffer.from('x'))
      if (i % 1000 === 0) await Promise.resolve() // let the search run now and then
    }
    r.feedData(Buffer.from('\n'))
    expect((await withTimeout(p, T)).length).toBe(n + 1)
    expect(performance.now() - started).toBeLessThan(3000)
  })

  it('for await iterates the lines until EOF', async () => {
    const r = new StreamReader()
    const lines: string[] = []
    const done = (async () => { for await (const line of r) lines.push(text(line)) })()
    r.feedData(Buffer.from('a\nb'))
    r.feedData(Buffer.from('\nc'))
    r.feedEof()
    await withTimeout(done, T)
    expect(lines).toEqual(['a\n', 'b\n', 'c'])
  })
})

describe('StreamReader flow control', () => {
  it('pauses the transport above 2 × limit, resumes at or below limit', async () => {
    const t = fakeTransport()
    const r = new StreamReader({ limit: 10 })
    r.setTransport(t)
    r.feedData(Buffer.alloc(20))
    expect(t.calls).toEqual([]) // 20 is not above 2 × 10
    r.feedData(Buffer.alloc(1))
    expect(t.calls).toEqual(['pause'])
    r.feedData(Buffer.alloc(5)) // already paused: no second call
    expect(t.calls).toEqual(['pause'])
    await r.read(15) // 11 left: still above the limit
    expect(t.calls).toEqual(['pause'])
    await r.read(1) // 10 left: at the limit
    expect(t.calls).toEqual(['pause', 'resume'])
  })

  it('a read that must wait while paused resumes the transport first (readexactly beyond 2 × limit)', async () => {
    const t = fakeTransport()
    const r = new StreamReader({ limit: 4 })
    r.setTransport(t)
    r.feedData(Buffer.alloc(9))
    expect(t.calls).toEqual(['pause'])
    const p = r.readexactly(20)
    await Promise.resolve()
    expect(t.calls).toEqual(['pause', 'resume'])
    r.feedData(Buffer.alloc(11))
    expect((await withTimeout(p, T)).length).toBe(20)
  })

  it('a transport that cannot pause is forgotten; the reader buffers everything', () => {
    const r = new StreamReader({ limit: 1 })
    let tries = 0
    r.setTransport({
      pauseReading () { tries++; throw Object.assign(new Error('no'), { code: 'WL_ERR_UNSUPPORTED' }) },
    } as unknown as ReadTransport)
    r.feedData(Buffer.alloc(3))
    r.feedData(Buffer.alloc(3))
    expect(tries).toBe(1)
  })

  it('setTransport is once', () => {
    const r = new StreamReader()
    r.setTransport(fakeTransport())
    expect(() => r.setTransport(fakeTransport())).toThrow(InvalidStateError)
  })
})
