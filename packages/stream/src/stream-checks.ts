/**
 * Argument checks of the high-level streams, at the call and with Node's error codes (as
 * core's entry points throw them).
 * @internal
 */

// The shared checks of every entry point live in core (one implementation, one wording).
import { invalidArgType as argType, outOfRange } from '@wireline/core/machinery'

export { invalidArgType as argType, invalidArgValue as argValue, outOfRange } from '@wireline/core/machinery'

/** An integer, or throws (`TypeError` for a non-number, `RangeError` for a fraction or below `min`). */
export function checkInteger (value: unknown, name: string, min: number): number {
  if (typeof value !== 'number') throw argType(`${name} must be a number, got ${typeof value}`)
  if (!Number.isInteger(value)) throw outOfRange(`${name} must be an integer, got ${value}`)
  if (value < min) throw outOfRange(`${name} must be >= ${min}, got ${value}`)
  return value
}

/** The reader's `limit` option: a positive integer (asyncio: "Limit cannot be <= 0"); default 64 KiB. */
export function checkLimit (value: unknown): number {
  if (value === undefined || value === null) return DEFAULT_LIMIT
  return checkInteger(value, 'limit', 1)
}

/** asyncio's `_DEFAULT_LIMIT`: 64 KiB. */
export const DEFAULT_LIMIT = 64 * 1024

export { validateOptions as checkOptions, validateFunction as checkFunction } from '@wireline/core/machinery'
