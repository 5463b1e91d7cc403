/**
 * @packageDocumentation
 * `@wireline/subprocess`: Python asyncio's `SubprocessProtocol` for Node.js. A child process
 * becomes a transport with one pipe transport per piped fd (stdin: a write transport with
 * core's flow control; stdout, stderr: read transports with backpressure), and asyncio's call
 * order: `connectionMade`, then `pipeDataReceived` / `pipeConnectionLost` / `processExited`,
 * then `connectionLost` once the child exited and every pipe closed.
 *
 * ```ts
 * import { SubprocessProtocol, subprocessExec } from '@wireline/subprocess'
 *
 * class Collect extends SubprocessProtocol {
 *   output: Uint8Array[] = []
 *   override pipeDataReceived (fd: number, data: Uint8Array) { this.output.push(data) }
 * }
 * const [transport, protocol] = await subprocessExec(() => new Collect(), 'ls', ['-l'])
 * ```
 */
export { SubprocessProtocol } from './protocol.js'
export type { SubprocessProtocolShape } from './protocol.js'
export type { Signal, SubprocessTransport } from './transport.js'
export { subprocessExec, subprocessShell } from './spawn.js'
export type { StdioOption, SubprocessOptions } from './spawn.js'
export {
  BaseProtocol, InvalidStateError, UnsupportedError, WirelineError, WriteAfterEofError, getExceptionHandler,
  setExceptionHandler,
} from '@wireline/core'
export type {
  BaseTransport, ExceptionContext, ExceptionHandler, ExtraInfo, ReadTransport, WriteBufferLimits, WriteData,
  WriteTransport,
} from '@wireline/core'
