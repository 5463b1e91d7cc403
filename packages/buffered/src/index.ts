/**
 * @packageDocumentation
 * `@wireline/buffered`: Python asyncio's `BufferedProtocol` for Node.js. The transport reads
 * straight into the protocol's own buffers: on TCP and Unix sockets (client and server) Node
 * reads into the buffer `getBuffer()` returned, with no allocation and no copy per chunk.
 *
 * ```ts
 * import { BufferedProtocol, createConnection, type Transport } from '@wireline/buffered'
 *
 * class Sink extends BufferedProtocol {
 *   buf = new Uint8Array(256 * 1024)
 *   total = 0
 *   override getBuffer () { return this.buf }
 *   override bufferUpdated (n: number) { this.total += n } // the bytes are in this.buf[0..n)
 * }
 * const [transport, sink] = await createConnection(() => new Sink(), '127.0.0.1', 9000)
 * ```
 */
import * as machinery from '@wireline/core/machinery'
import type {
  AcceptedSocketOptions, ClientSSL, ConnectionOptions, Server, ServerOptions, ServerSSL, StartTlsOptions,
  UnixConnectionOptions, UnixServerOptions,
} from '@wireline/core/machinery'
import type { BufferedProtocolShape, ProtocolFactory, Transport } from '@wireline/core'
import type * as net from 'node:net'

export { BufferedProtocol } from './protocol.js'
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

/** Any object usable as a buffered protocol: `getBuffer` is required, the rest optional. */
export type AnyBufferedProtocol = BufferedProtocolShape & object

/*
 * The connection and server functions are core's shared ones (the same as `@wireline/stream`'s:
 * asyncio picks the read path from the protocol), typed here for buffered protocols.
 */

/**
 * asyncio `loop.create_connection(factory, host, port)` for a `BufferedProtocol`: resolves to
 * `[transport, protocol]` after `connectionMade`. Reads go straight into `getBuffer()`'s
 * buffer (TLS: one copy, see the README).
 */
export const createConnection: <P extends AnyBufferedProtocol>(
  factory: ProtocolFactory<P>, host: string, port: number, options?: ConnectionOptions,
) => Promise<[Transport, P]> = machinery.createConnection

/** asyncio `loop.create_server(factory, host, port)` for `BufferedProtocol`s; the same `Server` as `@wireline/stream`. */
export const createServer: <P extends AnyBufferedProtocol>(
  factory: ProtocolFactory<P>, host?: string | string[] | null, port?: number | null, options?: ServerOptions,
) => Promise<Server> = machinery.createServer

/** asyncio `loop.create_unix_connection(factory, path)` for a `BufferedProtocol`. */
export const createUnixConnection: <P extends AnyBufferedProtocol>(
  factory: ProtocolFactory<P>, path: string, options?: UnixConnectionOptions,
) => Promise<[Transport, P]> = machinery.createUnixConnection

/** asyncio `loop.create_unix_server(factory, path)` for `BufferedProtocol`s; a stale socket file is removed first. */
export const createUnixServer: <P extends AnyBufferedProtocol>(
  factory: ProtocolFactory<P>, path: string, options?: UnixServerOptions,
) => Promise<Server> = machinery.createUnixServer

/**
 * asyncio `loop.connect_accepted_socket(factory, sock)` for a `BufferedProtocol`. The socket
 * is already reading through `'data'` events, so each chunk is copied once into the buffer.
 */
export const connectAcceptedSocket: <P extends AnyBufferedProtocol>(
  factory: ProtocolFactory<P>, socket: net.Socket, options?: AcceptedSocketOptions,
) => Promise<[Transport, P]> = machinery.connectAcceptedSocket

/** asyncio `loop.start_tls()`: upgrades a live connection; the buffered protocol carries on. */
export const startTls: (
  transport: Transport, protocol: AnyBufferedProtocol, ssl: ClientSSL | ServerSSL, options?: StartTlsOptions,
) => Promise<Transport> = machinery.startTls
