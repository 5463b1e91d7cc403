import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { callExceptionHandler, getExceptionHandler, setExceptionHandler } from './exception-handler.js'

// These tests are about the handler itself: each starts from the default (the test hygiene's
// handler, installed by vitest.setup.ts, comes back after each).
beforeEach(() => setExceptionHandler(null))
afterEach(() => setExceptionHandler(null))

describe('exception handler', () => {
  it('is null (the default) until set, and null/undefined restore the default', () => {
    expect(getExceptionHandler()).toBe(null)
    const h = (): void => {}
    setExceptionHandler(h)
    expect(getExceptionHandler()).toBe(h)
    setExceptionHandler(null)
    expect(getExceptionHandler()).toBe(null)
    setExceptionHandler(h)
    setExceptionHandler(undefined)
    expect(getExceptionHandler()).toBe(null)
  })

  it('rejects anything else that is not a function with TypeError, keeping the current one', () => {
    const h = (): void => {}
    setExceptionHandler(h)
    for (const bad of [1, 'x', {}, true]) {
      expect(() => setExceptionHandler(bad as never)).toThrow(TypeError)
    }
    expect(getExceptionHandler()).toBe(h)
  })

  it('passes the context to the handler', () => {
    const seen: unknown[] = []
    setExceptionHandler((ctx) => seen.push(ctx))
    const ctx = { message: 'm', exception: new Error('e'), transport: 't', protocol: 'p' }
    callExceptionHandler(ctx)
    expect(seen).toEqual([ctx])
  })

  it('the default writes the message and the stack to stderr', () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    const err = new Error('kaboom')
    callExceptionHandler({ message: 'Fatal error: protocol.dataReceived() call failed.', exception: err })
    expect(write).toHaveBeenCalledTimes(1)
    const text = String(write.mock.calls[0]![0])
    expect(text).toContain('Fatal error: protocol.dataReceived() call failed.')
    expect(text).toContain(err.stack!)
  })

  it('a handler that throws is reported through the default, never to the caller', () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    setExceptionHandler(() => { throw new Error('handler broke') })
    expect(() => callExceptionHandler({ message: 'original' })).not.toThrow()
    const text = String(write.mock.calls[0]![0])
    expect(text).toContain('Unhandled error in exception handler')
    expect(text).toContain('handler broke')
  })
})
