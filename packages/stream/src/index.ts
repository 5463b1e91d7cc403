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
  openConnection, openReadPipe, openServer, openUnixConnection, openUnixServer, openWritePipe, sendfileThrough,
  upgradeToTls, wrapAcceptedSocket,
} from '@wireline/core'
import type {
  AcceptedSocketOptions, ClientSSL, ProtocolFactory, ReadTransport, SendfileSource, Server, ServerOptions, ServerSSL,
  StartTlsOptions, StreamConnectionOptions, StreamProtocolShape, Transport, UnixConnectionOptions, UnixServerOptions,
  WriteTransport,
} from '@wireline/core'
import type * as net from 'node:net'

export { Protocol } from './protocol.js'
export {
  BaseProtocol, InvalidStateError, Server, ServerClosedError, UnsupportedError, WirelineError, WriteAfterEofError,
  getExceptionHandler, setExceptionHandler,
} from '@wireline/core'
export type {
  AcceptedSocketOptions, Address, BaseTransport, ClientSSL, ExceptionContext, ExceptionHandler, ExtraInfo,
  ReadTransport, SendfileSource, ServerOptions, ServerSSL, StartTlsOptions, Transport, UnixConnectionOptions,
  UnixServerOptions, WriteBufferLimits, WriteData, WriteTransport,
} from '@wireline/core'

/** Options of `createConnection`: `localAddr`, `happyEyeballsDelay`, `signal`, and TLS (`ssl`, `serverHostname`, `sslHandshakeTimeout`). */
export type ConnectionOptions = StreamConnectionOptions

/** Any object usable as a stream protocol: every callback is optional. */
export type StreamProtocol = StreamProtocolShape & object

/**
 * asyncio `loop.create_connection(protocol_factory, host, port)`: opens a TCP connection,
 * calls the factory once it is connected, and resolves to `[transport, protocol]` after
 * `protocol.connectionMade(transport)` has run. Rejects with Node's error (`code` intact:
 * ECONNREFUSED, ENOTFOUND, ...) without calling any protocol callback when the connection
 * cannot be made, and with the thrown error when `connectionMade` throws.
 */
export function createConnection<P extends StreamProtocol> (
  factory: ProtocolFactory<P>, host: string, port: number, options?: StreamConnectionOptions,
): Promise<[Transport, P]> {
  return openConnection(factory, host, port, options)
}

/**
 * asyncio `loop.create_server(protocol_factory, host, port)`: listens, and for every
 * accepted connection calls the factory and `connectionMade`. Resolves to a `Server` that is
 * already listening (unless `startServing: false`). Port 0 picks a free port: see
 * `server.addresses()`.
 */
export function createServer<P extends StreamProtocol> (
  factory: ProtocolFactory<P>, host?: string | string[] | null, port?: number | null, options?: ServerOptions,
): Promise<Server> {
  return openServer(factory, host, port, options)
}

/** asyncio `loop.create_unix_connection(protocol_factory, path)`. */
export function createUnixConnection<P extends StreamProtocol> (
  factory: ProtocolFactory<P>, path: string, options?: UnixConnectionOptions,
): Promise<[Transport, P]> {
  return openUnixConnection(factory, path, options)
}

/** asyncio `loop.create_unix_server(protocol_factory, path)`; a stale socket file at `path` is removed first. */
export function createUnixServer<P extends StreamProtocol> (
  factory: ProtocolFactory<P>, path: string, options?: UnixServerOptions,
): Promise<Server> {
  return openUnixServer(factory, path, options)
}

/**
 * asyncio `loop.connect_accepted_socket(protocol_factory, sock)`: wraps a Node socket that
 * is already connected (accepted by your own `net.Server`, or connected by your own code).
 * With `ssl`, the TLS server side runs over it.
 */
export function connectAcceptedSocket<P extends StreamProtocol> (
  factory: ProtocolFactory<P>, socket: net.Socket, options?: AcceptedSocketOptions,
): Promise<[Transport, P]> {
  return wrapAcceptedSocket(factory, socket, options)
}

/**
 * asyncio `loop.start_tls(transport, protocol, sslcontext)`: upgrades a live connection to
 * TLS and resolves to the new transport, which carries `protocol` on without a second
 * `connectionMade`. No plaintext byte reaches the protocol once the upgrade begins; a
 * protocol paused for writing stays paused and is resumed by the new transport.
 */
export function startTls (
  transport: Transport, protocol: StreamProtocol, ssl: ClientSSL | ServerSSL, options?: StartTlsOptions,
): Promise<Transport> {
  return upgradeToTls(transport, protocol, ssl, options)
}

/**
 * asyncio `loop.connect_read_pipe(protocol_factory, pipe)`: `pipe` is a file descriptor or a
 * Node socket over one (a FIFO, a child's stdout, `process.stdin`). A regular file is refused.
 * At EOF: `eofReceived()`, then `connectionLost(null)`.
 */
export function connectReadPipe<P extends StreamProtocol> (
  factory: ProtocolFactory<P>, pipe: number | net.Socket,
): Promise<[ReadTransport, P]> {
  return openReadPipe(factory, pipe)
}

/**
 * asyncio `loop.connect_write_pipe(protocol_factory, pipe)`: a write transport with flow
 * control over a file descriptor or a Node socket over one. `writeEof()` closes the pipe.
 */
export function connectWritePipe<P extends StreamProtocol> (
  factory: ProtocolFactory<P>, pipe: number | net.Socket,
): Promise<[WriteTransport, P]> {
  return openWritePipe(factory, pipe)
}

/**
 * asyncio `loop.sendfile(transport, file, offset, count)`: sends a file's bytes (a path, a
 * file descriptor or a `FileHandle`; from `offset`, `count` bytes or to the end) through the
 * transport's flow control and resolves to the number of bytes sent. `write()` throws while
 * it runs; a closing transport rejects.
 */
export function sendfile (
  transport: Transport, file: SendfileSource, offset?: number, count?: number | null,
): Promise<number> {
  return sendfileThrough(transport, file, offset, count)
}

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
