/**
 * @packageDocumentation
 * `@wireline/stream`: Python asyncio's streaming `Protocol` for Node.js, over TCP and Unix
 * sockets, TLS and pipes, with asyncio's call order and exact write flow control.
 *
 * ```ts
 * import { Protocol, createServer, type Transport } from '@wireline/stream'
 *
 * class Echo extends Protocol {
 *   transport!: Transport
 *   override connectionMade (t: Transport) { this.transport = t }
 *   override dataReceived (data: Uint8Array) { this.transport.write(data) }
 * }
 * const server = await createServer(() => new Echo(), '127.0.0.1', 8888)
 * await server.serveForever()
 * ```
 */
import * as machinery from '@wireline/core/machinery'
import type {
  AcceptedSocketOptions, ClientSSL, ConnectionOptions, Server, ServerOptions, ServerSSL, StartTlsOptions,
  UnixConnectionOptions, UnixServerOptions,
} from '@wireline/core/machinery'
import type { ProtocolFactory, Transport } from '@wireline/core'
import type * as net from 'node:net'
import type { StreamProtocol } from './protocol.js'

export { Protocol } from './protocol.js'
export type { StreamProtocol } from './protocol.js'
export { connectReadPipe, connectWritePipe } from './pipes.js'
export { sendfile } from './sendfile.js'
export type { SendfileSource } from './sendfile.js'
export {
  BaseProtocol, InvalidStateError, ServerClosedError, TimeoutError, UnsupportedError, WirelineError,
  WriteAfterEofError, getExceptionHandler, setExceptionHandler,
} from '@wireline/core'
export type {
  Address, BaseTransport, ExceptionContext, ExceptionHandler, ExtraInfo, ProtocolFactory, ReadTransport, Transport,
  WriteBufferLimits, WriteData, WriteTransport,
} from '@wireline/core'
export { Server } from '@wireline/core/machinery'
export type {
  AcceptedSocketOptions, ClientSSL, ConnectionOptions, ServeForeverOptions, ServerOptions, ServerSSL, StartTlsOptions,
  UnixConnectionOptions, UnixServerOptions,
} from '@wireline/core/machinery'

/*
 * The connection and server functions are core's shared ones (the same for `@wireline/buffered`:
 * asyncio picks the read path from the protocol), typed here for stream protocols.
 */

/**
 * asyncio `loop.create_connection(protocol_factory, host, port)`: opens a TCP connection
 * (TLS with `ssl`), calls the factory once it is connected, and resolves to
 * `[transport, protocol]` after `protocol.connectionMade(transport)` has run. Rejects with
 * Node's error (`code` intact: ECONNREFUSED, ENOTFOUND, ...) without calling any protocol
 * callback when the connection cannot be made, and with the thrown error when
 * `connectionMade` throws.
 */
export const createConnection: <P extends StreamProtocol>(
  factory: ProtocolFactory<P>, host: string, port: number, options?: ConnectionOptions,
) => Promise<[Transport, P]> = machinery.createConnection

/**
 * asyncio `loop.create_server(protocol_factory, host, port)`: listens, and for every accepted
 * connection calls the factory and `connectionMade`. Resolves to a `Server` that is already
 * listening (unless `startServing: false`). Port 0 picks a free port: see
 * `server.addresses()`. `host` may be omitted (every interface), a name (each address it
 * resolves to) or an array of them.
 */
export const createServer: <P extends StreamProtocol>(
  factory: ProtocolFactory<P>, host?: string | string[] | null, port?: number | null, options?: ServerOptions,
) => Promise<Server> = machinery.createServer

/** asyncio `loop.create_unix_connection(protocol_factory, path)`; with `ssl`, `serverHostname` is required. */
export const createUnixConnection: <P extends StreamProtocol>(
  factory: ProtocolFactory<P>, path: string, options?: UnixConnectionOptions,
) => Promise<[Transport, P]> = machinery.createUnixConnection

/** asyncio `loop.create_unix_server(protocol_factory, path)`; a stale socket file at `path` is removed first. */
export const createUnixServer: <P extends StreamProtocol>(
  factory: ProtocolFactory<P>, path: string, options?: UnixServerOptions,
) => Promise<Server> = machinery.createUnixServer

/**
 * asyncio `loop.connect_accepted_socket(protocol_factory, sock)`: wraps a Node socket that
 * is already connected (accepted by your own `net.Server`, or connected by your own code).
 * With `ssl`, the TLS server side runs over it.
 */
export const connectAcceptedSocket: <P extends StreamProtocol>(
  factory: ProtocolFactory<P>, socket: net.Socket, options?: AcceptedSocketOptions,
) => Promise<[Transport, P]> = machinery.connectAcceptedSocket

/**
 * asyncio `loop.start_tls(transport, protocol, sslcontext)`: upgrades a live connection to
 * TLS and resolves to the new transport, which carries `protocol` on without a second
 * `connectionMade`. No plaintext byte reaches the protocol once the upgrade begins; a
 * protocol paused for writing stays paused and is resumed by the new transport.
 */
export const startTls: (
  transport: Transport, protocol: StreamProtocol, ssl: ClientSSL | ServerSSL, options?: StartTlsOptions,
) => Promise<Transport> = machinery.startTls

export { openConnection, openUnixConnection, startServer, startUnixServer } from './high-level.js'
export type {
  OpenConnectionOptions, OpenUnixConnectionOptions, StartServerOptions, StartUnixServerOptions,
} from './high-level.js'
export { StreamReader } from './stream-reader.js'
export type { Separator, StreamReaderOptions } from './stream-reader.js'
export { StreamWriter } from './stream-writer.js'
export type { StreamStartTlsOptions } from './stream-writer.js'
export { StreamReaderProtocol } from './stream-reader-protocol.js'
export type { ClientConnected } from './stream-reader-protocol.js'
export { IncompleteReadError, LimitOverrunError } from './stream-errors.js'
