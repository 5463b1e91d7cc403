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

export function describe (value: unknown): string {
  return value === null ? 'null' : typeof value
}

/** True for a `class` (calling one without `new` is V8's "Class constructor X cannot be invoked"). */
function isClass (fn: Function): boolean {
  // A class's `prototype` is never writable; arrows, methods and async functions have none,
  // and a plain function's is writable: only the rest need their source text looked at
  // (which copies it out: a cost on every entry-point call otherwise).
  const prototype = Object.getOwnPropertyDescriptor(fn, 'prototype')
  if (prototype === undefined || prototype.writable === true) return false
  return /^class[\s{]/.test(Function.prototype.toString.call(fn))
}

/**
 * Throws unless `fn` is a function that can be called; a class gets a message saying what to
 * pass instead (`hint`, `() => new Name()` by default), not V8's error from the first call.
 */
export function validateFunction (fn: unknown, name: string, hint?: string): void {
  if (typeof fn !== 'function') throw invalidArgType(`${name} must be a function, got ${describe(fn)}`)
  if (isClass(fn)) {
    const className = fn.name === '' ? 'Protocol' : fn.name
    throw invalidArgType(`${name} must be a function, got the class ${className}: pass ${hint ?? `() => new ${className}()`}`)
  }
}

/** Throws unless `factory` is a function that makes protocols (a class: pass `() => new Name()`). */
export function validateFactory (factory: unknown): void {
  validateFunction(factory, 'protocol factory')
}

/**
 * Calls a protocol factory (checked by `validateFactory` at the call) and returns the protocol
 * it made; throws what the factory threw, or `TypeError` when it returned no object.
 */
export function makeProtocol<P> (factory: () => P): P {
  const protocol = factory()
  if (typeof protocol !== 'object' || protocol === null) {
    throw invalidArgType(`protocol factory must return an object, got ${describe(protocol)}`)
  }
  return protocol
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

/** Throws `TypeError` (`ERR_INVALID_ARG_VALUE`) if `value` holds a null byte, which no OS name can. */
export function validateNoNul (value: string, name: string, from = 0): void {
  if (value.includes('\0', from)) throw invalidArgValue(`${name} must not contain null bytes`)
}

/** A non-empty host name or address, without null bytes (getaddrinfo would fail later). */
export function validateHost (host: unknown): string {
  if (typeof host !== 'string') throw invalidArgType(`host must be a string, got ${describe(host)}`)
  if (host.length === 0) throw invalidArgValue('host must not be empty')
  validateNoNul(host, 'host')
  return host
}

/** A non-empty filesystem path without null bytes (a file's). */
export function validatePath (path: unknown, name = 'path'): string {
  if (typeof path !== 'string') throw invalidArgType(`${name} must be a string, got ${describe(path)}`)
  if (path.length === 0) throw invalidArgValue(`${name} must not be empty`)
  validateNoNul(path, name)
  return path
}

/**
 * The size of `sockaddr_un.sun_path`: 108 bytes on Linux, 104 on the BSDs and macOS. A path
 * needs its terminating null byte; a Linux abstract name (a leading `\0`) does not.
 */
const SUN_PATH = process.platform === 'linux' ? 108 : 104

/**
 * A Unix socket's path: non-empty, no null byte but a leading one (Linux's abstract
 * namespace), and short enough for `sun_path` (107 bytes on Linux): a longer path would be
 * truncated by the kernel, binding a socket under another name.
 */
export function validateUnixPath (path: unknown): string {
  if (typeof path !== 'string') throw invalidArgType(`path must be a string, got ${describe(path)}`)
  if (path.length === 0) throw invalidArgValue('path must not be empty')
  const abstract = path.startsWith('\0')
  if (abstract && process.platform !== 'linux') throw invalidArgValue('path must not contain null bytes (abstract sockets are Linux only)')
  validateNoNul(path, 'path', abstract ? 1 : 0)
  const max = abstract ? SUN_PATH : SUN_PATH - 1
  const bytes = Buffer.byteLength(path)
  if (bytes > max) {
    throw invalidArgValue(`path is ${bytes} bytes long; a Unix socket's path holds at most ${max} (sun_path)`)
  }
  return path
}

/**
 * An options object (`undefined` and `null` count as `{}`) whose names are all in `known`
 * (when given): a name `fn` does not take throws `TypeError` naming it, so that a typo (`reuse_port`) does
 * not pass silently (asyncio: "got an unexpected keyword argument").
 */
export function validateOptions (options: unknown, fn = 'options', known?: readonly string[]): Record<string, unknown> {
  if (options === undefined || options === null) return {}
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw invalidArgType(`${fn}: options must be an object, got ${Array.isArray(options) ? 'an array' : typeof options}`)
  }
  if (known === undefined) return options as Record<string, unknown>
  for (const name in options) {
    if (!known.includes(name)) {
      throw invalidArgValue(`${fn}: unknown option '${name}' (it takes ${known.map((k) => `'${k}'`).join(', ')})`)
    }
  }
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
  validateOptions(options, where, known)
}
