/**
 * The process-wide exception handler: where errors go that no caller can receive (a protocol
 * callback that threw, a factory that failed for one accepted connection, ...). asyncio:
 * `loop.set_exception_handler()` / `loop.call_exception_handler()`.
 */

/** What the handler receives. `message` is always there; the rest when known. */
export interface ExceptionContext {
  message: string
  exception?: unknown
  transport?: unknown
  protocol?: unknown
  [key: string]: unknown
}

/** A process-wide exception handler (asyncio `loop.set_exception_handler`): gets each report. */
export type ExceptionHandler = (context: ExceptionContext) => void

/**
 * The handler lives on `globalThis` under a `Symbol.for` key (as undici keeps its global
 * dispatcher), so that every copy of `@wireline/core` in the process shares it: a family that
 * resolved a copy of its own still reports to the handler the application set.
 */
const kState = Symbol.for('wireline.exceptionHandler')

interface HandlerState { handler: ExceptionHandler | null }

function state (): HandlerState {
  const g = globalThis as Record<symbol, HandlerState | undefined>
  return (g[kState] ??= { handler: null })
}

/**
 * Installs `h` as the exception handler; `null` or `undefined` restores the default (which
 * writes the message and the exception's stack to stderr).
 * @throws TypeError when `h` is neither a function nor null/undefined.
 */
export function setExceptionHandler (h: ExceptionHandler | null | undefined): void {
  if (h === null || h === undefined) {
    state().handler = null
    return
  }
  if (typeof h !== 'function') {
    throw Object.assign(new TypeError(`exception handler must be a function or null, got ${typeof h}`),
      { code: 'ERR_INVALID_ARG_TYPE' })
  }
  state().handler = h
}

/** The handler set with `setExceptionHandler`, or `null` while the default is in use. */
export function getExceptionHandler (): ExceptionHandler | null {
  return state().handler
}

function describe (exception: unknown): string {
  if (exception instanceof Error) return exception.stack ?? `${exception.name}: ${exception.message}`
  return String(exception)
}

/** The default handler: the message, then the exception's stack, on stderr. */
export function defaultExceptionHandler (context: ExceptionContext): void {
  let text = context.message
  if ('exception' in context && context.exception !== undefined) text += '\n' + describe(context.exception)
  try {
    process.stderr.write(text + '\n')
  } catch {
    // stderr itself is gone: nothing left to tell
  }
}

/**
 * Reports `context` to the current handler. Never throws: a handler that throws is itself
 * reported through the default handler, as asyncio does.
 */
export function callExceptionHandler (context: ExceptionContext): void {
  const h = state().handler
  if (h === null) {
    defaultExceptionHandler(context)
    return
  }
  try {
    h(context)
  } catch (err) {
    defaultExceptionHandler({ message: 'Unhandled error in exception handler', exception: err, context })
  }
}
