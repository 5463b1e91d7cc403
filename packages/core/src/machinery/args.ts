/**
 * Argument checks shared by every family's entry points. Bad input throws at the call, before
 * any I/O, as Node's own APIs do: `TypeError` (`ERR_INVALID_ARG_TYPE`,
 * `ERR_INVALID_ARG_VALUE`) or `RangeError` (`ERR_OUT_OF_RANGE`).
 */

/** A `TypeError` with Node's `ERR_INVALID_ARG_TYPE` code. */
export function invalidArgType (message: string): TypeError {
  return Object.assign(new TypeError(message), { code: 'ERR_INVALID_ARG_TYPE' })
}

/** A `TypeError` with Node's `ERR_INVALID_ARG_VALUE` code: the right type, the wrong content. */
export function invalidArgValue (message: string): TypeError {
  return Object.assign(new TypeError(message), { code: 'ERR_INVALID_ARG_VALUE' })
}

/** A `RangeError` with Node's `ERR_OUT_OF_RANGE` code. */
export function outOfRange (message: string): RangeError {
  return Object.assign(new RangeError(message), { code: 'ERR_OUT_OF_RANGE' })
}

function describe (value: unknown): string {
  return value === null ? 'null' : typeof value
}

/** Throws unless `factory` is a function that makes protocols. */
export function validateFactory (factory: unknown): void {
  if (typeof factory !== 'function') {
    throw invalidArgType(`protocol factory must be a function, got ${describe(factory)}`)
  }
}

/** Throws `TypeError` unless `protocol` is an object (what `setProtocol` and the entry points take). */
export function checkProtocol (protocol: unknown): void {
  if (typeof protocol !== 'object' || protocol === null) {
    throw invalidArgType(`protocol must be an object, got ${describe(protocol)}`)
  }
}

/** A port number 0-65535 (a string of digits is accepted, as Node does). */
export function validatePort (port: unknown, name = 'port'): number {
  if (typeof port === 'string' && /^\d+$/.test(port)) port = Number(port)
  if (typeof port !== 'number') throw invalidArgType(`${name} must be a number, got ${typeof port}`)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw outOfRange(`${name} must be an integer from 0 to 65535, got ${port}`)
  }
  return port
}

/** A non-empty host name or address. */
export function validateHost (host: unknown): string {
  if (typeof host !== 'string') throw invalidArgType(`host must be a string, got ${describe(host)}`)
  if (host.length === 0) throw invalidArgValue('host must not be empty')
  return host
}

/** A non-empty filesystem path (a Unix socket's). */
export function validatePath (path: unknown): string {
  if (typeof path !== 'string') throw invalidArgType(`path must be a string, got ${describe(path)}`)
  if (path.length === 0) throw invalidArgValue('path must not be empty')
  return path
}

/** An options object (`undefined` and `null` count as `{}`). */
export function validateOptions (options: unknown, what = 'options'): Record<string, unknown> {
  if (options === undefined || options === null) return {}
  if (typeof options !== 'object') throw invalidArgType(`${what} must be an object, got ${typeof options}`)
  return options as Record<string, unknown>
}

/** An `AbortSignal`, or null when not given. */
export function validateSignal (value: unknown): AbortSignal | null {
  if (value === undefined || value === null) return null
  if (typeof value !== 'object' || typeof (value as AbortSignal).aborted !== 'boolean' ||
      typeof (value as AbortSignal).addEventListener !== 'function') {
    throw invalidArgType('signal must be an AbortSignal')
  }
  return value as AbortSignal
}

/** A duration in milliseconds (>= 0), or null when not given. */
export function validateDelay (value: unknown, name: string): number | null {
  if (value === undefined || value === null) return null
  if (typeof value !== 'number') throw invalidArgType(`${name} must be a number of milliseconds, got ${typeof value}`)
  if (!Number.isFinite(value) || value < 0) throw outOfRange(`${name} must be >= 0, got ${value}`)
  return value
}

/** Node's AbortError shape: name 'AbortError', code 'ABORT_ERR', the signal's reason as `cause`. */
export function abortError (signal: AbortSignal | null): Error {
  return Object.assign(new Error('The operation was aborted', { cause: signal?.reason }),
    { name: 'AbortError', code: 'ABORT_ERR' })
}

/** What a callback threw, as an `Error` (a thrown non-Error value is wrapped). */
export function asError (value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value))
}

/**
 * Throws `TypeError` (`ERR_INVALID_ARG_VALUE`) naming the first option of `options` that is
 * not one of `known`: a typo such as `reuse_port` must not pass silently.
 */
export function checkOptionNames (options: Record<string, unknown>, known: readonly string[], where: string): void {
  for (const name of Object.keys(options)) {
    if (!known.includes(name)) {
      throw invalidArgValue(`${where}: unknown option '${name}' (known: ${known.join(', ')})`)
    }
  }
}
