import * as diagnostics from 'node:diagnostics_channel'
import { mkdtempSync, rmSync } from 'node:fs'
import * as net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { getExceptionHandler, setExceptionHandler } from '../exception-handler.js'
import type { ExceptionContext } from '../exception-handler.js'

/**
 * Collects what reaches the exception handler until `restore()` (which puts the previous
 * handler back). Tests assert on `contexts`, and that nothing unexpected was reported.
 */
export function captureExceptions (): {
  /** What reached the handler, in order. */
  contexts: ExceptionContext[]
  /** Puts the previous handler back. */
  restore: () => void
} {
  const previous = getExceptionHandler()
  const contexts: ExceptionContext[] = []
  setExceptionHandler((ctx) => { contexts.push(ctx) })
  return { contexts, restore: () => setExceptionHandler(previous) }
}

/**
 * Captures exception-handler reports for one test and fails it at its end if any are left
 * that the test did not `take()`. `onFinished` registers the end-of-test check (vitest's
 * `onTestFinished`, node:test's `t.after`, ...), so the kit stays free of any test runner.
 */
export function watchExceptions (onFinished: (check: () => void) => void): {
  /** Takes (and returns) what was reported so far: taken reports do not fail the test. */
  take: () => ExceptionContext[]
} {
  const cap = captureExceptions()
  onFinished(() => {
    cap.restore()
    if (cap.contexts.length > 0) {
      throw new Error(`unexpected exception-handler calls: ${cap.contexts.map((c) => c.message).join('; ')}`)
    }
  })
  return { take: () => cap.contexts.splice(0) }
}

/**
 * A connected pair of TCP sockets on 127.0.0.1 (what `socket.socketpair()` gives in Python),
 * made with a throwaway listener that stops listening before this resolves.
 */
export async function socketPair (options: { allowHalfOpen?: boolean } = {}): Promise<[net.Socket, net.Socket]> {
  const server = net.createServer({ allowHalfOpen: options.allowHalfOpen ?? false })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as net.AddressInfo
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve))
  const client = net.connect({ port, host: '127.0.0.1', allowHalfOpen: options.allowHalfOpen ?? false })
  await new Promise<void>((resolve, reject) => {
    client.once('error', reject)
    client.once('connect', () => { client.off('error', reject); resolve() })
  })
  const serverSide = await accepted
  // Stop listening; the listener's own 'close' waits for the pair, so do not wait for it.
  server.close()
  return [client, serverSide]
}

/** A fresh temporary directory and a function that removes it. */
export function tempDir (prefix = 'wireline-'): {
  /** The directory. */
  path: string
  /** Removes it and everything in it. */
  cleanup: () => void
} {
  const path = mkdtempSync(join(tmpdir(), prefix))
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) }
}

/**
 * Subscribes to the diagnostics channel `name` (`wireline:connection:made`, ...) for one test:
 * returns the messages published on it, in order; `onFinished` registers the unsubscribe
 * (vitest's `onTestFinished`, node:test's `t.after`, ...).
 */
export function recordChannel (name: string, onFinished: (cleanup: () => void) => void): unknown[] {
  const seen: unknown[] = []
  const record = (message: unknown): void => { seen.push(message) }
  diagnostics.subscribe(name, record)
  onFinished(() => { diagnostics.unsubscribe(name, record) })
  return seen
}
