/**
 * @packageDocumentation
 * `@wireline/core/machinery`: what the wireline families share beyond the contract, for the
 * authors of a family package (not for applications, which use a family).
 *
 * - The byte-stream transport: `StreamTransport` (state machine and lifecycle, over a write
 *   path and a read path), made with a `TransportKind` (`TCP`, `UNIX`, `TLS`, `READ_PIPE`,
 *   `WRITE_PIPE`), `onreadOption` for sockets that read into reused memory, and the
 *   hand-over hooks that `startTls` and `sendfile` use.
 * - The connection and server functions that `@wireline/stream` and `@wireline/buffered` both
 *   export, generic over the protocol (asyncio has one `create_connection` for both and picks
 *   the read path from the protocol): `createConnection`, `createServer`,
 *   `createUnixConnection`, `createUnixServer`, `connectAcceptedSocket`, `startTls`, and the
 *   `Server` they make.
 * - Argument checks that throw at the call with Node's codes, and byte conversions.
 */
export { StreamTransport } from './stream-transport.js'
export type { StreamTransportOptions, TransportOwner } from './transport-options.js'
export type { TcpAddresses } from './socket-addresses.js'
export type { SendfileSession, UpgradeState } from './handover.js'
export type { FlowState } from './write-path.js'
export { READ_PIPE, TCP, TLS, UNIX, WRITE_PIPE } from './transport-kinds.js'
export type { TransportKind } from './transport-kinds.js'
export { onreadOption } from './onread.js'
export type { OnreadOption } from './onread.js'
export { setSocketWriteFastPath } from './write-path.js'
export { setAcceptedSocketFastPath } from './accept.js'
export { LOG_THRESHOLD_FOR_CONNLOST_WRITES } from './limits.js'
export { Server, reusePortSupported } from './server.js'
export type { ServeForeverOptions } from './server.js'
export {
  OPTION_NAMES, connectAcceptedSocket, createConnection, createServer, createUnixConnection, createUnixServer,
} from './entry-points.js'
export type {
  AcceptedSocketOptions, ConnectionOptions, ServerOptions, UnixConnectionOptions, UnixServerOptions,
} from './entry-points.js'
export type { DialOptions } from './dial.js'
export { startTls } from './start-tls.js'
export type { StartTlsOptions } from './start-tls.js'
export type { ClientSSL, ServerSSL, TLSClientOptions, TLSServerOptions } from './tls-options.js'
export {
  abortError, asError, checkOptionNames, checkProtocol, invalidArgType, invalidArgValue, makeProtocol, outOfRange, validateFactory,
  validateFunction, validateNoNul, validateOptions, validatePath, validateSignal,
} from './args.js'
export { validateOpenSocket } from './open-socket.js'
export { toBuffer } from './bytes.js'
export { kTransport } from '../transport.js'
export { publishConnectionLost, publishConnectionMade, traceConnect } from '../instrumentation.js'
