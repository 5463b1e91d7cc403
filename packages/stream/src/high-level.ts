import { createConnection, createServer, createUnixConnection, createUnixServer } from './index.js'
// Types by their public names in this package (type-only: erased, nothing imported at run time).
import type { ConnectionOptions, Server, ServerOptions, UnixConnectionOptions, UnixServerOptions } from './index.js'
import { OPTION_NAMES } from '@wireline/core/machinery'
import { checkFunction, checkLimit, checkOptions } from './stream-checks.js'
import { StreamReader } from './stream-reader.js'
import { StreamReaderProtocol } from './stream-reader-protocol.js'
import type { ClientConnected } from './stream-reader-protocol.js'
import { StreamWriter } from './stream-writer.js'

/** Options of `openConnection`: `limit` (the `StreamReader`'s, default 64 KiB), and `createConnection`'s. */
export interface OpenConnectionOptions extends ConnectionOptions {
  /** The reader's limit: see `StreamReaderOptions.limit`. */
  limit?: number | null
}
/** Options of `openUnixConnection`: `limit`, and `createUnixConnection`'s. */
export interface OpenUnixConnectionOptions extends UnixConnectionOptions {
  /** The reader's limit: see `StreamReaderOptions.limit`. */
  limit?: number | null
}
/** Options of `startServer`: `limit` (each connection's reader's), and `createServer`'s. */
export interface StartServerOptions extends ServerOptions {
  /** The readers' limit: see `StreamReaderOptions.limit`. */
  limit?: number | null
}
/** Options of `startUnixServer`: `limit`, and `createUnixServer`'s. */
export interface StartUnixServerOptions extends UnixServerOptions {
  /** The readers' limit: see `StreamReaderOptions.limit`. */
  limit?: number | null
}

// `limit`, and the names of the function underneath.
const CONNECTION = ['limit', ...OPTION_NAMES.createConnection]
const UNIX_CONNECTION = ['limit', ...OPTION_NAMES.createUnixConnection]
const SERVER = ['limit', ...OPTION_NAMES.createServer]
const UNIX_SERVER = ['limit', ...OPTION_NAMES.createUnixServer]

/** Checks the options; returns the reader's limit and the options for the function underneath. */
function split (options: unknown, known: readonly string[], what: string): [limit: number, rest: Record<string, unknown>] {
  const { limit, ...rest } = checkOptions(options, known, what)
  return [checkLimit(limit), rest]
}

/** The reader, protocol and writer of a connection a client made. */
function clientSide (limit: number): [StreamReader, StreamReaderProtocol] {
  const reader = new StreamReader({ limit })
  return [reader, new StreamReaderProtocol(reader)]
}

/**
 * asyncio `open_connection(host, port)`: opens a TCP connection (TLS with `ssl`) and
 * resolves to its `[reader, writer]`. Rejects as `createConnection` does (Node's error,
 * `code` intact, when the connection cannot be made).
 *
 * ```ts
 * const [reader, writer] = await openConnection('127.0.0.1', 8888)
 * writer.write('Hello World!')
 * const data = await reader.read(100)
 * writer.close()
 * await writer.waitClosed()
 * ```
 * @throws TypeError/RangeError for wrong arguments or options, before any I/O.
 */
export function openConnection (
  host: string, port: number, options?: OpenConnectionOptions,
): Promise<[StreamReader, StreamWriter]> {
  const [limit, rest] = split(options, CONNECTION, 'openConnection()')
  const [reader, protocol] = clientSide(limit)
  return createConnection(() => protocol, host, port, rest)
    .then(([transport]) => [reader, new StreamWriter(transport, protocol, reader)])
}

/** asyncio `open_unix_connection(path)`: `openConnection` over a Unix socket. */
export function openUnixConnection (
  path: string, options?: OpenUnixConnectionOptions,
): Promise<[StreamReader, StreamWriter]> {
  const [limit, rest] = split(options, UNIX_CONNECTION, 'openUnixConnection()')
  const [reader, protocol] = clientSide(limit)
  return createUnixConnection(() => protocol, path, rest)
    .then(([transport]) => [reader, new StreamWriter(transport, protocol, reader)])
}

/**
 * asyncio `start_server(client_connected_cb, host, port)`: listens, and calls
 * `clientConnected(reader, writer)` for every accepted connection. The callback may be
 * `async`; if it throws or rejects, the error goes to the exception handler and that
 * connection is closed, while the server goes on. Resolves to the listening `Server`.
 *
 * ```ts
 * const server = await startServer(async (reader, writer) => {
 *   const data = await reader.read(100)
 *   writer.write(data)
 *   await writer.drain()
 *   writer.close()
 *   await writer.waitClosed()
 * }, '127.0.0.1', 8888)
 * ```
 * @throws TypeError/RangeError for wrong arguments or options, before any I/O.
 */
export function startServer (
  clientConnected: ClientConnected, host?: string | string[] | null, port?: number | null, options?: StartServerOptions,
): Promise<Server> {
  checkFunction(clientConnected, 'clientConnected', '(reader, writer) => { ... }')
  const [limit, rest] = split(options, SERVER, 'startServer()')
  return createServer(() => new StreamReaderProtocol(new StreamReader({ limit }), clientConnected), host, port, rest)
}

/** asyncio `start_unix_server(client_connected_cb, path)`: `startServer` on a Unix socket. */
export function startUnixServer (
  clientConnected: ClientConnected, path: string, options?: StartUnixServerOptions,
): Promise<Server> {
  checkFunction(clientConnected, 'clientConnected', '(reader, writer) => { ... }')
  const [limit, rest] = split(options, UNIX_SERVER, 'startUnixServer()')
  return createUnixServer(() => new StreamReaderProtocol(new StreamReader({ limit }), clientConnected), path, rest)
}
