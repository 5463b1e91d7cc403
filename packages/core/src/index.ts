/**
 * @packageDocumentation
 * `@wireline/core`: the contract of Python asyncio's transports and protocols for Node.js,
 * what protocol and application authors program against: `BaseProtocol` and the protocol
 * shapes, the transport interfaces, the write flow-control engine, the exception handler,
 * errors and constants.
 *
 * Applications use a family package (`@wireline/stream`, `@wireline/buffered`,
 * `@wireline/datagram`, `@wireline/subprocess`), which re-exports what it needs from here.
 * The machinery the families share is behind `@wireline/core/machinery`, for family authors;
 * the testing kit and the transport compliance suite are behind `@wireline/core/testing`.
 */
export { BaseProtocol, isBufferedProtocol } from './protocol.js'
export type { AnyProtocol, BufferedProtocolShape, ProtocolFactory, StreamProtocolShape } from './protocol.js'
export { isTransport } from './transport.js'
export type {
  Address, BaseTransport, ExtraInfo, ReadTransport, Transport, WriteBufferLimits, WriteData, WriteTransport,
} from './transport.js'
export { WriteFlowControl } from './flow-control.js'
export type { FlowControlHost } from './flow-control.js'
export { callExceptionHandler, getExceptionHandler, setExceptionHandler } from './exception-handler.js'
export type { ExceptionContext, ExceptionHandler } from './exception-handler.js'
export {
  InvalidStateError, SendfileNotAvailableError, ServerClosedError, TimeoutError, UnsupportedError, WirelineError,
  WriteAfterEofError,
} from './errors.js'
export { DEFAULT_BACKLOG, DEFAULT_HIGH_WATER, DEFAULT_LOW_WATER, SSL_HANDSHAKE_TIMEOUT } from './constants.js'
