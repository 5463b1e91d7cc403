import { constants } from 'node:os'
import { invalidArgType } from '@wireline/core/machinery'
import type { Signal } from './transport.js'

const SIGNALS = constants.signals as Record<string, number>
const NUMBERS = new Set(Object.values(SIGNALS))

function unknownSignal (signal: unknown): TypeError {
  return Object.assign(new TypeError(`Unknown signal: ${String(signal)}`), { code: 'ERR_UNKNOWN_SIGNAL' })
}

/**
 * Checks a signal given to `sendSignal`: a name of `os.constants.signals` or its number (0,
 * the existence check, included). Throws `TypeError` (`ERR_UNKNOWN_SIGNAL` as Node does, or
 * `ERR_INVALID_ARG_TYPE`).
 */
export function validateSignal (signal: unknown): Signal {
  if (typeof signal === 'string') {
    if (!Object.hasOwn(SIGNALS, signal)) throw unknownSignal(signal)
    return signal as NodeJS.Signals
  }
  if (typeof signal === 'number') {
    if (signal !== 0 && !NUMBERS.has(signal)) throw unknownSignal(signal)
    return signal
  }
  throw invalidArgType(`signal must be a signal name or number, got ${signal === null ? 'null' : typeof signal}`)
}

/** asyncio's returncode: the exit code, or minus the number of the signal that ended the child. */
export function returncodeOf (code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code
  const n = signal === null ? undefined : SIGNALS[signal]
  return n === undefined ? -1 : -n
}

/** Node's error for a signal sent to a process that is gone (asyncio's `ProcessLookupError`). */
export function esrchError (): NodeJS.ErrnoException {
  return systemError('kill', 'ESRCH')
}

/** Node's error for a write to a pipe whose reader is gone (asyncio's `BrokenPipeError`). */
export function epipeError (): NodeJS.ErrnoException {
  return systemError('write', 'EPIPE')
}

function systemError (syscall: string, code: 'ESRCH' | 'EPIPE'): NodeJS.ErrnoException {
  const errno = (constants.errno as Record<string, number>)[code]
  return Object.assign(new Error(`${syscall} ${code}`), { code, errno: errno === undefined ? undefined : -errno, syscall })
}
