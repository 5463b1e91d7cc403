import type { BaseTransport, ReadTransport, WriteTransport } from '@wireline/core'

/** A signal: a name (`'SIGTERM'`) or a number (`15`). */
export type Signal = NodeJS.Signals | number

/**
 * asyncio's `SubprocessTransport`: a running child process and its pipes.
 * @see https://docs.python.org/3/library/asyncio-protocol.html#subprocess-transports
 */
export interface SubprocessTransport extends BaseTransport {
  /** The child's process id. */
  getPid(): number

  /**
   * The transport of the child's pipe `fd`: 0 → a `WriteTransport` (the child's stdin, with
   * core's write path and flow control; its `pauseWriting`/`resumeWriting` reach the
   * subprocess protocol), 1 or 2 → a `ReadTransport` (stdout / stderr; `pauseReading()`
   * makes the child block once the pipe is full). `null` for an fd that is not piped.
   */
  getPipeTransport(fd: 0): WriteTransport | null
  /** The child's stdout (1) or stderr (2) as a `ReadTransport`; `null` when not piped. */
  getPipeTransport(fd: 1 | 2): ReadTransport | null
  /** The transport of pipe `fd`, when the fd is only known at run time. */
  getPipeTransport(fd: number): WriteTransport | ReadTransport | null

  /** `null` while the child runs; then its exit code, or minus the signal number that killed it. */
  getReturncode(): number | null

  /** Sends SIGKILL (asyncio `kill()`). See `sendSignal` for when it throws. */
  kill(): void
  /** Sends SIGTERM (asyncio `terminate()`). See `sendSignal` for when it throws. */
  terminate(): void
  /**
   * Sends `signal` to the child. A silent no-op once the child has exited; throws an error
   * with code `ESRCH` after `connectionLost` (asyncio's `ProcessLookupError`), and a
   * `TypeError` (`ERR_UNKNOWN_SIGNAL`) for a signal that does not exist.
   */
  sendSignal(signal: Signal): void

  /**
   * Closes the pipes (stdin is flushed first), then SIGKILLs the child if it is still running.
   * Idempotent. `connectionLost(null)` follows once the child has exited and every pipe closed.
   */
  close(): void
}
