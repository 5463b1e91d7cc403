import { BaseProtocol } from '@wireline/core'
import type { SubprocessTransport } from './transport.js'

/**
 * asyncio's `SubprocessProtocol`: the callbacks of a child process started by
 * `subprocessExec()` or `subprocessShell()`. Extend it, or pass any object with some of these
 * methods (every one is optional).
 *
 * Call order:
 *
 *     connectionMade  (pipeDataReceived | pipeConnectionLost | processExited)*  connectionLost
 *
 * - `processExited` is called exactly once. It may come before or after the pipes close: a
 *   grandchild that inherited stdout can keep it open after the child exits.
 * - Per fd, every `pipeDataReceived(fd)` comes before that fd's one `pipeConnectionLost(fd)`.
 * - `connectionLost` is called once, last, after `processExited` and after the
 *   `pipeConnectionLost` of every piped fd.
 * - `pauseWriting` / `resumeWriting` come from the child's stdin pipe (fd 0).
 *
 * A callback that throws is fatal: the error is reported to the exception handler, the child
 * is SIGKILLed, its pipes are closed, and `connectionLost(thatError)` follows.
 *
 * @see https://docs.python.org/3/library/asyncio-protocol.html#subprocess-protocols
 */
export class SubprocessProtocol extends BaseProtocol {
  /**
   * Called when the child process has started, with its transport, before
   * `subprocessExec()` resolves and before any other callback.
   */
  override connectionMade (_transport: SubprocessTransport): void {}

  /**
   * Called when the child writes to its stdout (fd 1) or stderr (fd 2) pipe. `data` is never
   * empty and is the protocol's to keep. With `stderr: 'stdout'` everything arrives as fd 1.
   */
  pipeDataReceived (_fd: number, _data: Uint8Array): void {}

  /**
   * Called once per piped fd when that pipe closes: `null` for a regular close (EOF on
   * stdout/stderr, stdin closed by us or by the child's exit), or the error that ended it
   * (a child that stopped reading its stdin while we had bytes for it: code `EPIPE`).
   */
  pipeConnectionLost (_fd: number, _exc: Error | null): void {}

  /**
   * Called once when the child process has exited; `transport.getReturncode()` tells how.
   * May come before the last pipe data (a grandchild can hold the pipes open).
   */
  processExited (): void {}
}

/** Any object usable as a subprocess protocol: every callback is optional. */
export interface SubprocessProtocolShape {
  /** Called once the child runs, with its transport. */
  connectionMade?(transport: SubprocessTransport): void
  /** Called last, once the child exited and every piped fd closed. */
  connectionLost?(exc: Error | null): void
  /** Called when the child's stdin buffer went over its high-water mark. */
  pauseWriting?(): void
  /** Called when the child's stdin buffer drained to its low-water mark. */
  resumeWriting?(): void
  /** Called with the bytes the child wrote to `fd` (1: stdout, 2: stderr). */
  pipeDataReceived?(fd: number, data: Uint8Array): void
  /** Called once per piped fd when it closed (with the error, if any). */
  pipeConnectionLost?(fd: number, exc: Error | null): void
  /** Called once when the child exited (`getReturncode()` tells how). */
  processExited?(): void
}
