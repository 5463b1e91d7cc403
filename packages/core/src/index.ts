/**
 * @packageDocumentation
 * `@wireline/core`: Python asyncio's transports and protocols for Node.js, the part every
 * protocol family shares: `BaseProtocol`, the transport interfaces, the write flow-control
 * engine, the exception handler, and the transport machinery (write path, close / abort /
 * EOF state machine, extra info, connection and server plumbing) that `@wireline/stream`,
 * `@wireline/buffered`, `@wireline/datagram` and `@wireline/subprocess` are built on.
 *
 * Applications use a family package; this one is for those families and for code that
 * is generic over transports.
 */
export { BaseProtocol, isBufferedProtocol } from './protocol.js'
export type { AnyProtocol, BufferedProtocolShape, ProtocolFactory, StreamProtocolShape } from './protocol.js'
export { isTransport, kTransport } from './transport.js'
export type {
  Address, BaseTransport, ExtraInfo, ReadTransport, Transport, WriteBufferLimits, WriteData, WriteTransport,
} from './transport.js'
export { WriteFlowControl } from './flow-control.js'
export type { FlowControlHost } from './flow-control.js'
export {
  callExceptionHandler, defaultExceptionHandler, getExceptionHandler, setExceptionHandler,
} from './exception-handler.js'
export type { ExceptionContext, ExceptionHandler } from './exception-handler.js'
export {
  InvalidStateError, SendfileNotAvailableError, ServerClosedError, TimeoutError, UnsupportedError,
  WirelineError, WriteAfterEofError, asError, checkProtocol, invalidArgType, invalidArgValue, isSystemError, outOfRange,
} from './errors.js'
export * from './constants.js'
export { toBuffer, toBuffers, toProtocolBuffer } from './bytes.js'
export { OnreadBridge, StreamTransport, setSocketWriteFastPath } from './stream-transport.js'
export type { CloseMode, StreamTransportOptions } from './stream-transport.js'
export {
  abortError, combineErrors, connectTCP, connectUnix, parseConnectionOptions, tcpExtra, validateFactory,
  validateHost, validateOptions, validatePath, validatePort, validateSignal,
} from './connect.js'
export type { ConnectionOptions, TransportSetup } from './connect.js'
export { Server, adoptAcceptedSocket, reusePortSupported, serverSettings, setAcceptedSocketFastPath } from './server.js'
export type { AcceptHandler, ListenSpec, ServerSettings } from './server.js'
export type { TransportOwner, UpgradeState } from './stream-transport.js'
export { openConnection, openServer, openUnixConnection, openUnixServer, tlsSetup, wrapAcceptedSocket } from './streams.js'
export type { AcceptedSocketOptions, ServerOptions, StreamConnectionOptions, UnixConnectionOptions, UnixServerOptions } from './streams.js'
export { makeReadPipeTransport, makeWritePipeTransport, openReadPipe, openWritePipe } from './pipes.js'
export type { PipeTransportOptions } from './pipes.js'
export { upgradeToTls } from './upgrade.js'
export type { StartTlsOptions } from './upgrade.js'
export { sendfileThrough, SENDFILE_CHUNK } from './sendfile.js'
export type { SendfileSource } from './sendfile.js'
export { clientHandshake, parseClientTLS, parseServerTLS, serverHandshake, tlsExtra, TLS_EOF_WARNING } from './tls.js'
export type { ClientSSL, ClientTLSSettings, ServerSSL, ServerTLSSettings, TLSClientOptions, TLSServerOptions } from './tls.js'
