/**
 * Argument checks of the high-level streams, at the call and with Node's error codes (as
 * core's entry points throw them).
 * @internal
 */

/** A `TypeError` with Node's `ERR_INVALID_ARG_TYPE` code. */
export function argType (message: string): TypeError {
  return Object.assign(new TypeError(message), { code: 'ERR_INVALID_ARG_TYPE' })
}

/** A `TypeError` with Node's `ERR_INVALID_ARG_VALUE` code (the right type, a wrong content). */
export function argValue (message: string): TypeError {
  return Object.assign(new TypeError(message), { code: 'ERR_INVALID_ARG_VALUE' })
}

/** A `RangeError` with Node's `ERR_OUT_OF_RANGE` code. */
export function outOfRange (message: string): RangeError {
  return Object.assign(new RangeError(message), { code: 'ERR_OUT_OF_RANGE' })
}

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

/**
 * An options object (undefined and null are `{}`) whose names are all in `known`: a name the
 * function does not take throws `TypeError` naming it, so that a typo does not pass silently.
 */
export function checkOptions (options: unknown, known: readonly string[], what: string): Record<string, unknown> {
  if (options === undefined || options === null) return {}
  if (typeof options !== 'object') throw argType(`options of ${what} must be an object, got ${typeof options}`)
  for (const name of Object.keys(options)) {
    if (!known.includes(name)) {
      throw argValue(`${what} has no option '${name}' (it takes ${known.map((k) => `'${k}'`).join(', ')})`)
    }
  }
  return options as Record<string, unknown>
}

/** Throws unless `fn` is a function; a class gets the hint to pass a function that calls it. */
export function checkFunction (fn: unknown, name: string, hint: string): void {
  if (typeof fn !== 'function') throw argType(`${name} must be a function, got ${fn === null ? 'null' : typeof fn}`)
  if (/^class[\s{]/.test(Function.prototype.toString.call(fn))) {
    throw argType(`${name} must be a function, got the class ${fn.name}: pass ${hint}`)
  }
}
