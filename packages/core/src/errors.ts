/**
 * wireline's own errors. Node's system errors (ECONNRESET, EPIPE, ...) are passed through
 * untouched; bad arguments throw the built-in `TypeError` / `RangeError`. What is left are
 * state errors, each with a stable `code` and a `Symbol.for` brand so that `instanceof`
 * holds across two installed copies of `@wireline/core`.
 */

function hasBrand (value: unknown, brand: symbol): boolean {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true
}

const kWirelineError = Symbol.for('wireline.error')

/** Base class of every error wireline itself raises. */
export class WirelineError extends Error {
  readonly code: string = 'WL_ERR'
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'WirelineError'
  }

  get [kWirelineError] (): true { return true }
  /** `instanceof` by brand, so it holds across copies of the package. */
  static override [Symbol.hasInstance] (value: unknown): boolean { return hasBrand(value, kWirelineError) }
}

const kWriteAfterEof = Symbol.for('wireline.error.WL_ERR_WRITE_AFTER_EOF')
/** asyncio: `RuntimeError('Cannot call write() after write_eof()')`. */
export class WriteAfterEofError extends WirelineError {
  override readonly code = 'WL_ERR_WRITE_AFTER_EOF' as const
  constructor (message = 'Cannot call write() after writeEof()') {
    super(message)
    this.name = 'WriteAfterEofError'
  }

  get [kWriteAfterEof] (): true { return true }
  /** `instanceof` by brand, so it holds across copies of the package. */
  static override [Symbol.hasInstance] (value: unknown): boolean { return hasBrand(value, kWriteAfterEof) }
}

const kInvalidState = Symbol.for('wireline.error.WL_ERR_INVALID_STATE')
/** An operation called in a state that does not allow it (asyncio raises `RuntimeError`). */
export class InvalidStateError extends WirelineError {
  override readonly code = 'WL_ERR_INVALID_STATE' as const
  constructor (message: string) {
    super(message)
    this.name = 'InvalidStateError'
  }

  get [kInvalidState] (): true { return true }
  /** `instanceof` by brand, so it holds across copies of the package. */
  static override [Symbol.hasInstance] (value: unknown): boolean { return hasBrand(value, kInvalidState) }
}

const kServerClosed = Symbol.for('wireline.error.WL_ERR_SERVER_CLOSED')
/** `serveForever()` on a closed server, or a running one that got closed (asyncio cancels it). */
export class ServerClosedError extends WirelineError {
  override readonly code = 'WL_ERR_SERVER_CLOSED' as const
  constructor (message = 'Server is closed') {
    super(message)
    this.name = 'ServerClosedError'
  }

  get [kServerClosed] (): true { return true }
  /** `instanceof` by brand, so it holds across copies of the package. */
  static override [Symbol.hasInstance] (value: unknown): boolean { return hasBrand(value, kServerClosed) }
}

const kUnsupported = Symbol.for('wireline.error.WL_ERR_UNSUPPORTED')
/** A feature the running Node.js does not provide (for example `reusePort` before Node 22.12). */
export class UnsupportedError extends WirelineError {
  override readonly code = 'WL_ERR_UNSUPPORTED' as const
  constructor (message: string) {
    super(message)
    this.name = 'UnsupportedError'
  }

  get [kUnsupported] (): true { return true }
  /** `instanceof` by brand, so it holds across copies of the package. */
  static override [Symbol.hasInstance] (value: unknown): boolean { return hasBrand(value, kUnsupported) }
}

const kTimeout = Symbol.for('wireline.error.WL_ERR_TIMEOUT')
/** A deadline passed (a TLS handshake that took longer than `sslHandshakeTimeout`, ...). */
export class TimeoutError extends WirelineError {
  override readonly code = 'WL_ERR_TIMEOUT' as const
  constructor (message: string) {
    super(message)
    this.name = 'TimeoutError'
  }

  get [kTimeout] (): true { return true }
  /** `instanceof` by brand, so it holds across copies of the package. */
  static override [Symbol.hasInstance] (value: unknown): boolean { return hasBrand(value, kTimeout) }
}

const kSendfileNotAvailable = Symbol.for('wireline.error.WL_ERR_SENDFILE_NOT_AVAILABLE')
/** asyncio's `SendfileNotAvailableError`: the transport cannot send a file. */
export class SendfileNotAvailableError extends WirelineError {
  override readonly code = 'WL_ERR_SENDFILE_NOT_AVAILABLE' as const
  constructor (message = 'sendfile is not available for this transport') {
    super(message)
    this.name = 'SendfileNotAvailableError'
  }

  get [kSendfileNotAvailable] (): true { return true }
  /** `instanceof` by brand, so it holds across copies of the package. */
  static override [Symbol.hasInstance] (value: unknown): boolean { return hasBrand(value, kSendfileNotAvailable) }
}
