import { describe, expect, it } from 'vitest'
import { InvalidStateError, ServerClosedError, WirelineError, WriteAfterEofError } from './errors.js'
import { toBuffer, toBuffers } from './machinery/bytes.js'

describe('errors', () => {
  it('have stable codes and names, and instanceof works through brands', () => {
    const e = new WriteAfterEofError()
    expect(e.code).toBe('WL_ERR_WRITE_AFTER_EOF')
    expect(e.name).toBe('WriteAfterEofError')
    expect(e).toBeInstanceOf(WriteAfterEofError)
    expect(e).toBeInstanceOf(WirelineError)
    expect(e).toBeInstanceOf(Error)
    expect(e).not.toBeInstanceOf(InvalidStateError)
    // a look-alike from another copy of core carries the same Symbol.for brand
    const foreign = { [Symbol.for('wireline.error.WL_ERR_SERVER_CLOSED')]: true, [Symbol.for('wireline.error')]: true }
    expect(foreign instanceof ServerClosedError).toBe(true)
    expect(foreign instanceof WirelineError).toBe(true)
    expect(foreign instanceof WriteAfterEofError).toBe(false)
  })
})

describe('toBuffer', () => {
  it('accepts every ArrayBufferView, ArrayBuffer and string without copying bytes', () => {
    const ab = new ArrayBuffer(8)
    const u8 = new Uint8Array(ab, 2, 4)
    expect(toBuffer(u8).buffer).toBe(ab)
    expect(toBuffer(u8).byteOffset).toBe(2)
    expect(toBuffer(new Uint16Array(ab, 0, 2)).length).toBe(4)
    expect(toBuffer(new DataView(ab, 1, 3)).length).toBe(3)
    expect(toBuffer(ab).length).toBe(8)
    const b = Buffer.from('x')
    expect(toBuffer(b)).toBe(b)
    expect(toBuffer('héllo').toString()).toBe('héllo')
    expect(toBuffer('héllo').length).toBe(6)
  })

  it('throws TypeError with ERR_INVALID_ARG_TYPE for anything else', () => {
    for (const bad of [1, null, undefined, {}, [1, 2], true, Symbol('s')]) {
      let err: unknown
      try { toBuffer(bad) } catch (e) { err = e }
      expect(err).toBeInstanceOf(TypeError)
      expect((err as NodeJS.ErrnoException).code).toBe('ERR_INVALID_ARG_TYPE')
    }
  })

  it('toBuffers validates every chunk before returning, and wants an iterable', () => {
    expect(toBuffers(['a', new Uint8Array([1])]).map((b) => b.length)).toEqual([1, 1])
    expect(toBuffers((function * () { yield 'ab'; yield 'c' })()).map(String)).toEqual(['ab', 'c'])
    expect(() => toBuffers(['a', 5])).toThrow(TypeError)
    expect(() => toBuffers('abc')).toThrow(TypeError)
    expect(() => toBuffers(null)).toThrow(TypeError)
    expect(() => toBuffers(5)).toThrow(TypeError)
  })
})
