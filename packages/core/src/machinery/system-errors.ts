import { constants } from 'node:os'

/**
 * An error shaped as Node's system errors are (`code`, `errno`, `syscall`), for conditions
 * wireline detects itself that mean what the system error means: a write pipe whose reader
 * left is EPIPE, whatever noticed it.
 */
export function systemError (code: 'EPIPE' | 'ECONNRESET' | 'ECONNABORTED', syscall: string, message: string): Error {
  return Object.assign(new Error(`${syscall} ${code}: ${message}`), { code, errno: -(constants.errno[code] ?? 0), syscall })
}

/** A connection that ended without an error of its own while something still waited on it. */
export function connectionLostError (): Error {
  return systemError('ECONNRESET', 'read', 'connection lost')
}

/** A startTls given up by a `close()` or an `abort()` of the transport it upgrades. */
export function upgradeAbortedError (): Error {
  return systemError('ECONNABORTED', 'startTls', 'given up: the transport was closed during the upgrade')
}
