import { afterEach, beforeEach } from 'vitest'
// core's own module (the root has no dependency on it): the same instance the packages load
import { setExceptionHandler } from './packages/core/src/exception-handler.js'
import type { ExceptionContext } from './packages/core/src/exception-handler.js'

// One test hygiene for every package (uvloop's tearDown): a test fails when something reached
// the exception handler that the test did not take itself. Tests that expect reports capture
// them (`watchExceptions`, `captureExceptions`), which puts this handler back when they end.
const unexpected: ExceptionContext[] = []
const hygiene = (context: ExceptionContext): void => { unexpected.push(context) }

beforeEach(() => {
  unexpected.length = 0
  setExceptionHandler(hygiene)
})

afterEach(() => {
  setExceptionHandler(hygiene)
  if (unexpected.length === 0) return
  const messages = unexpected.map((c) => `${c.message}${c.exception instanceof Error ? `: ${c.exception.message}` : ''}`)
  unexpected.length = 0
  throw new Error(`unexpected exception-handler reports: ${messages.join('; ')}`)
})
