import { constants } from 'node:os'
import { describe, expect, it } from 'vitest'
import { epipeError, esrchError, returncodeOf, validateSignal } from './signals.js'

describe('returncodeOf (asyncio returncode from Node exit status)', () => {
  it('is the exit code, or minus the signal number', () => {
    expect(returncodeOf(0, null)).toBe(0)
    expect(returncodeOf(3, null)).toBe(3)
    expect(returncodeOf(null, 'SIGKILL')).toBe(-9)
    expect(returncodeOf(null, 'SIGTERM')).toBe(-constants.signals.SIGTERM)
    expect(returncodeOf(null, 'SIGHUP')).toBe(-1)
  })
})

describe('validateSignal', () => {
  it('accepts the names and numbers of os.constants.signals, and 0', () => {
    expect(validateSignal('SIGTERM')).toBe('SIGTERM')
    expect(validateSignal(9)).toBe(9)
    expect(validateSignal(0)).toBe(0)
  })
  it('throws TypeError with Node codes for anything else', () => {
    for (const bad of ['TERM', 'sigkill', 'constructor', 'toString', 4096, -9, 2.5, NaN]) {
      expect(() => validateSignal(bad)).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_UNKNOWN_SIGNAL' }))
    }
    for (const bad of [null, undefined, {}, ['SIGTERM'], true]) {
      expect(() => validateSignal(bad)).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }))
    }
  })
})

describe('system errors', () => {
  it('look like the ones Node throws (code, errno, syscall)', () => {
    expect(esrchError()).toMatchObject({ message: 'kill ESRCH', code: 'ESRCH', errno: -constants.errno.ESRCH, syscall: 'kill' })
    expect(epipeError()).toMatchObject({ message: 'write EPIPE', code: 'EPIPE', errno: -constants.errno.EPIPE, syscall: 'write' })
  })
})
