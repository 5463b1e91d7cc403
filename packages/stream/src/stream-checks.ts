/**
 * Argument checks of the high-level streams, at the call and with Node's error codes (as
 * core's entry points throw them).
 * @internal
 */
import { checkOptionNames, invalidArgType, outOfRange } from '@wireline/core/machinery'

/** An integer, or throws (`TypeError` for a non-number, `RangeError` for a fraction or below `min`). */
export function checkInteger (value: unknown, name: string, min: number): number {
  if (typeof value !== 'number') throw invalidArgType(`${name} must be a number, got ${typeof value}`)
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

/**
 * An options object (undefined and null are `{}`) whose names are all in `known`: a name the
 * function does not take throws `TypeError` naming it, so that a typo does not pass silently.
 */
export function checkOptions (options: unknown, known: readonly string[], what: string): Record<string, unknown> {
  if (options === undefined || options === null) return {}
  if (typeof options !== 'object') throw invalidArgType(`options of ${what} must be an object, got ${typeof options}`)
  checkOptionNames(options as Record<string, unknown>, known, what)
  return options as Record<string, unknown>
}

/** Throws unless `fn` is a function; a class gets the hint to pass a function that calls it. */
export function checkFunction (fn: unknown, name: string, hint: string): void {
  if (typeof fn !== 'function') throw invalidArgType(`${name} must be a function, got ${fn === null ? 'null' : typeof fn}`)
  if (/^class[\s{]/.test(Function.prototype.toString.call(fn))) {
    throw invalidArgType(`${name} must be a function, got the class ${fn.name}: pass ${hint}`)
  }
}
