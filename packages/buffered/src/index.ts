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
import {
  openConnection, openServer, openUnixConnection, openUnixServer, upgradeToTls, wrapAcceptedSocket,
} from '@wireline/core'
import type {
  AcceptedSocketOptions, BufferedProtocolShape, ClientSSL, ProtocolFactory, Server, ServerOptions, ServerSSL,
  StartTlsOptions, StreamConnectionOptions, Transport, UnixConnectionOptions, UnixServerOptions,
} from '@wireline/core'
import type * as net from 'node:net'

export { BufferedProtocol } from './protocol.js'
export {
  BaseProtocol, InvalidStateError, Server, ServerClosedError, TimeoutError, UnsupportedError, WirelineError,
  WriteAfterEofError, getExceptionHandler, setExceptionHandler,
} from '@wireline/core'
export type {
  AcceptedSocketOptions, Address, BaseTransport, ClientSSL, ExceptionContext, ExceptionHandler, ExtraInfo,
  ReadTransport, ServerOptions, ServerSSL, StartTlsOptions, Transport, UnixConnectionOptions, UnixServerOptions,
  WriteBufferLimits, WriteData, WriteTransport,
} from '@wireline/core'

/** Options of `createConnection`: `localAddr`, `happyEyeballsDelay`, `signal`, and TLS. */
export type ConnectionOptions = StreamConnectionOptions

/** Any object usable as a buffered protocol: `getBuffer` is required, the rest optional. */
export type AnyBufferedProtocol = BufferedProtocolShape & object

/**
 * asyncio `loop.create_connection(factory, host, port)` for a `BufferedProtocol`: resolves to
 * `[transport, protocol]` after `connectionMade`. Reads go straight into `getBuffer()`'s
 * buffer (TLS: one copy, see the README).
 */
export function createConnection<P extends AnyBufferedProtocol> (
  factory: ProtocolFactory<P>, host: string, port: number, options?: StreamConnectionOptions,
): Promise<[Transport, P]> {
  return openConnection(factory, host, port, options)
}

/** asyncio `loop.create_server(factory, host, port)` for `BufferedProtocol`s; the same `Server` as `@wireline/stream`. */
export function createServer<P extends AnyBufferedProtocol> (
  factory: ProtocolFactory<P>, host?: string | string[] | null, port?: number | null, options?: ServerOptions,
): Promise<Server> {
  return openServer(factory, host, port, options)
}

/** asyncio `loop.create_unix_connection(factory, path)` for a `BufferedProtocol`. */
export function createUnixConnection<P extends AnyBufferedProtocol> (
  factory: ProtocolFactory<P>, path: string, options?: UnixConnectionOptions,
): Promise<[Transport, P]> {
  return openUnixConnection(factory, path, options)
}

/** asyncio `loop.create_unix_server(factory, path)` for `BufferedProtocol`s; a stale socket file is removed first. */
export function createUnixServer<P extends AnyBufferedProtocol> (
  factory: ProtocolFactory<P>, path: string, options?: UnixServerOptions,
): Promise<Server> {
  return openUnixServer(factory, path, options)
}

/**
 * asyncio `loop.connect_accepted_socket(factory, sock)` for a `BufferedProtocol`. The socket
 * is already reading through `'data'` events, so each chunk is copied once into the buffer.
 */
export function connectAcceptedSocket<P extends AnyBufferedProtocol> (
  factory: ProtocolFactory<P>, socket: net.Socket, options?: AcceptedSocketOptions,
): Promise<[Transport, P]> {
  return wrapAcceptedSocket(factory, socket, options)
}

/** asyncio `loop.start_tls()`: upgrades a live connection; the buffered protocol carries on. */
export function startTls (
  transport: Transport, protocol: AnyBufferedProtocol, ssl: ClientSSL | ServerSSL, options?: StartTlsOptions,
): Promise<Transport> {
  return upgradeToTls(transport, protocol, ssl, options)
}
