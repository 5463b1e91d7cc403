import * as fs from 'node:fs'
import * as net from 'node:net'
import * as tty from 'node:tty'
import { validateFactory } from './connect.js'
import { invalidArgType, invalidArgValue } from './errors.js'
import { OnreadBridge, StreamTransport } from './stream-transport.js'
import type { TransportOwner } from './stream-transport.js'
import type { AnyProtocol, ProtocolFactory } from './protocol.js'
import type { ReadTransport, WriteTransport } from './transport.js'

/** Options of the pipe transports. */
export interface PipeTransportOptions {
  /** Present when the socket was created with `bridge.onread`. */
  bridge?: OnreadBridge | null
  /** More extra-info values (`pipe` is set to the socket). */
  extra?: Record<string, unknown>
  owner?: TransportOwner | null
  /** Write pipe over a socket that can read: detect the reader going away (its EOF). */
  watchReader?: boolean
}

/**
 * A read pipe (asyncio `_UnixReadPipeTransport`) over a Node socket on a pipe's read end:
 * the shared machinery with only the read side. At EOF it calls `eofReceived()`, then
 * `connectionLost(null)` whatever `eofReceived` returned (a pipe has no half-open state).
 * Returned un-started: call `_connectionMade()`.
 */
export function makeReadPipeTransport (socket: net.Socket, protocol: AnyProtocol, options: PipeTransportOptions = {}): StreamTransport {
  return new StreamTransport({
    socket,
    protocol,
    bridge: options.bridge,
    name: 'ReadPipeTransport',
    readable: true,
    writable: false,
    canWriteEof: false,
    eofAlwaysCloses: true,
    closeMode: 'destroy',
    extra: { ...options.extra, pipe: socket },
    owner: options.owner,
  })
}

/**
 * A write pipe (asyncio `_UnixWritePipeTransport`): the shared write path and flow control,
 * no read side. `writeEof()` closes the pipe (flushing first), as does `close()`.
 * Returned un-started: call `_connectionMade()`.
 */
export function makeWritePipeTransport (socket: net.Socket, protocol: AnyProtocol, options: PipeTransportOptions = {}): StreamTransport {
  return new StreamTransport({
    socket,
    protocol,
    name: 'WritePipeTransport',
    readable: false,
    writable: true,
    canWriteEof: true,
    writeEofCloses: true,
    watchReader: options.watchReader,
    closeMode: 'destroy',
    extra: { ...options.extra, pipe: socket },
    owner: options.owner,
  })
}

type Direction = 'read' | 'write'

function notAPipe (): Error {
  // asyncio: ValueError("Pipe transport is for pipes/sockets only.")
  return invalidArgValue('Pipe transport is for pipes/sockets only.')
}

/**
 * A Node socket over `pipe` for one direction: the socket itself when given one, else a new
 * socket over the file descriptor (a FIFO, a socket or a terminal; a regular file is refused,
 * as asyncio refuses it; other character devices cannot be polled through Node's sockets and
 * are refused too).
 */
function pipeSocket (pipe: unknown, direction: Direction): { socket: net.Socket, bridge: OnreadBridge | null, watchReader: boolean } {
  if (pipe instanceof net.Socket) {
    if (pipe.destroyed) throw Object.assign(new Error('pipe is closed'), { code: 'ERR_SOCKET_CLOSED' })
    // asyncio watches a write pipe's fd for readability: a socket that can read tells us
    // when its reader went away
    return { socket: pipe, bridge: null, watchReader: direction === 'write' && pipe.readable }
  }
  if (typeof pipe !== 'number') {
    throw invalidArgType('pipe must be a file descriptor or a net.Socket over one (process.stdin, a child\'s stdio, ...)')
  }
  if (!Number.isInteger(pipe) || pipe < 0) throw invalidArgValue(`pipe must be a file descriptor >= 0, got ${pipe}`)
  const st = fs.fstatSync(pipe)
  if (st.isFIFO() || st.isSocket()) {
    if (direction === 'read') {
      const bridge = new OnreadBridge()
      const socket = new net.Socket({ fd: pipe, readable: true, writable: false, onread: bridge.onread } as net.SocketConstructorOpts)
      return { socket, bridge, watchReader: false }
    }
    // A socket can tell us its reader went away (EOF on read); a FIFO's write end cannot.
    const socket = new net.Socket({ fd: pipe, readable: st.isSocket(), writable: true })
    return { socket, bridge: null, watchReader: st.isSocket() }
  }
  if (st.isCharacterDevice() && tty.isatty(pipe)) {
    const socket = direction === 'read' ? new tty.ReadStream(pipe) : new tty.WriteStream(pipe)
    return { socket, bridge: null, watchReader: false }
  }
  throw notAPipe()
}

function openPipe<P extends AnyProtocol> (factory: ProtocolFactory<P>, pipe: unknown, direction: Direction): Promise<[StreamTransport, P]> {
  validateFactory(factory)
  const { socket, bridge, watchReader } = pipeSocket(pipe, direction)
  return startPipe(factory, pipe, socket, bridge, watchReader, direction)
}

async function startPipe<P extends AnyProtocol> (
  factory: ProtocolFactory<P>, pipe: unknown, socket: net.Socket, bridge: OnreadBridge | null, watchReader: boolean,
  direction: Direction,
): Promise<[StreamTransport, P]> {
  let protocol: P
  try {
    protocol = factory()
    if (typeof protocol !== 'object' || protocol === null) throw invalidArgType('protocol factory must return an object')
  } catch (err) {
    if (socket !== pipe) socket.destroy()
    throw err
  }
  const transport = direction === 'read'
    ? makeReadPipeTransport(socket, protocol, { bridge })
    : makeWritePipeTransport(socket, protocol, { watchReader })
  const error = transport._connectionMade()
  if (error !== null) throw error
  return [transport, protocol]
}

/**
 * asyncio `loop.connect_read_pipe(factory, pipe)`: a read transport over `pipe` (a file
 * descriptor, or a Node socket over one: a FIFO, a child's stdout, `process.stdin`). EOF
 * calls `eofReceived()`, then `connectionLost(null)`.
 */
export function openReadPipe<P extends AnyProtocol> (factory: ProtocolFactory<P>, pipe: number | net.Socket): Promise<[ReadTransport, P]> {
  return openPipe(factory, pipe, 'read')
}

/**
 * asyncio `loop.connect_write_pipe(factory, pipe)`: a write transport over `pipe`, with the
 * shared write path and flow control. `writeEof()` and `close()` close the pipe.
 */
export function openWritePipe<P extends AnyProtocol> (factory: ProtocolFactory<P>, pipe: number | net.Socket): Promise<[WriteTransport, P]> {
  return openPipe(factory, pipe, 'write')
}
