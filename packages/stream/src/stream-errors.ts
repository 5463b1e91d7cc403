import { WirelineError } from '@wireline/core'

/**
 * The two errors of asyncio's high-level streams. Like every wireline error each has a
 * stable `code` and a `Symbol.for` brand, so that `instanceof` holds across two installed
 * copies of `@wireline/stream`.
 */

function hasBrand (value: unknown, brand: symbol): boolean {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true
}

const kIncompleteRead = Symbol.for('wireline.error.WL_ERR_INCOMPLETE_READ')

/**
 * asyncio's `IncompleteReadError`: the stream ended before the read was complete.
 *
 * `partial` holds the bytes read before the end (they are consumed); `expected` is the
 * number of bytes `readexactly(n)` asked for, or `null` when `readuntil()` reached the end
 * before a separator.
 */
export class IncompleteReadError extends WirelineError {
  override readonly code = 'WL_ERR_INCOMPLETE_READ' as const
  /** The bytes read before the end of the stream. */
  readonly partial: Uint8Array
  /** The total number of bytes expected, or `null` when a separator was expected. */
  readonly expected: number | null

  constructor (partial: Uint8Array, expected: number | null) {
    super(`${partial.length} bytes read on a total of ${expected === null ? 'null' : expected} expected bytes`)
    this.name = 'IncompleteReadError'
    this.partial = partial
    this.expected = expected
  }

  get [kIncompleteRead] (): true { return true }
  /** `instanceof` by brand, so it holds across copies of the package. */
  static override [Symbol.hasInstance] (value: unknown): boolean { return hasBrand(value, kIncompleteRead) }
}

const kLimitOverrun = Symbol.for('wireline.error.WL_ERR_LIMIT_OVERRUN')

/**
 * asyncio's `LimitOverrunError`: `readuntil()` reached the reader's `limit` before it found
 * the separator. Nothing is consumed: the data stays in the buffer, where `read()` or
 * `readexactly()` can still take it. `consumed` is the number of bytes to consume to get
 * past the overrun.
 */
export class LimitOverrunError extends WirelineError {
  override readonly code = 'WL_ERR_LIMIT_OVERRUN' as const
  /** How many bytes are to be consumed. */
  readonly consumed: number

  constructor (message: string, consumed: number) {
    super(message)
    this.name = 'LimitOverrunError'
    this.consumed = consumed
  }

  get [kLimitOverrun] (): true { return true }
  /** `instanceof` by brand, so it holds across copies of the package. */
  static override [Symbol.hasInstance] (value: unknown): boolean { return hasBrand(value, kLimitOverrun) }
}
