/**
 * @packageDocumentation
 * `@wireline/stream`: Python asyncio's streaming `Protocol` for Node.js, over TCP and Unix
 * sockets, with asyncio's call order and exact write flow control.
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
import {
  openConnection, openServer, openUnixConnection, openUnixServer, wrapAcceptedSocket,
} from '@wireline/core'
import type {
  ConnectionOptions, ProtocolFactory, Server, ServerOptions, StreamProtocolShape, Transport,
  UnixConnectionOptions, UnixServerOptions,
} from '@wireline/core'
import type * as net from 'node:net'

export { Protocol } from './protocol.js'
export {
  BaseProtocol, InvalidStateError, Server, ServerClosedError, UnsupportedError, WirelineError, WriteAfterEofError,
  getExceptionHandler, setExceptionHandler,
} from '@wireline/core'
export type {
  Address, BaseTransport, ConnectionOptions, ExceptionContext, ExceptionHandler, ExtraInfo, ReadTransport,
  ServerOptions, Transport, UnixConnectionOptions, UnixServerOptions, WriteBufferLimits, WriteData,
  WriteTransport,
} from '@wireline/core'

/** Any object usable as a stream protocol: every callback is optional. */
export type StreamProtocol = StreamProtocolShape & object

/**
 * asyncio `loop.create_connection(protocol_factory, host, port)`: opens a TCP connection,
 * calls the factory once it is connected, and resolves to `[transport, protocol]` after
 * `protocol.connectionMade(transport)` has run. Rejects with Node's error (`code` intact:
 * ECONNREFUSED, ENOTFOUND, ...) without calling any protocol callback when the connection
 * cannot be made, and with the thrown error when `connectionMade` throws.
 */
export async function createConnection<P extends StreamProtocol> (
  factory: ProtocolFactory<P>, host: string, port: number, options?: ConnectionOptions,
): Promise<[Transport, P]> {
  return await openConnection(factory, host, port, options)
}

/**
 * asyncio `loop.create_server(protocol_factory, host, port)`: listens, and for every
 * accepted connection calls the factory and `connectionMade`. Resolves to a `Server` that is
 * already listening (unless `startServing: false`). Port 0 picks a free port: see
 * `server.addresses()`.
 */
export async function createServer<P extends StreamProtocol> (
  factory: ProtocolFactory<P>, host?: string | string[] | null, port?: number | null, options?: ServerOptions,
): Promise<Server> {
  return await openServer(factory, host, port, options)
}

/** asyncio `loop.create_unix_connection(protocol_factory, path)`. */
export async function createUnixConnection<P extends StreamProtocol> (
  factory: ProtocolFactory<P>, path: string, options?: UnixConnectionOptions,
): Promise<[Transport, P]> {
  return await openUnixConnection(factory, path, options)
}

/** asyncio `loop.create_unix_server(protocol_factory, path)`; a stale socket file at `path` is removed first. */
export async function createUnixServer<P extends StreamProtocol> (
  factory: ProtocolFactory<P>, path: string, options?: UnixServerOptions,
): Promise<Server> {
  return await openUnixServer(factory, path, options)
}

/**
 * asyncio `loop.connect_accepted_socket(protocol_factory, sock)`: wraps a Node socket that
 * is already connected (accepted by your own `net.Server`, or connected by your own code).
 */
export async function connectAcceptedSocket<P extends StreamProtocol> (
  factory: ProtocolFactory<P>, socket: net.Socket, options?: Record<string, never>,
): Promise<[Transport, P]> {
  return await wrapAcceptedSocket(factory, socket, options)
}
