import * as fs from 'node:fs'
import * as net from 'node:net'
import * as stream from 'node:stream'
import * as tty from 'node:tty'
import { InvalidStateError } from '@wireline/core'
import type { ProtocolFactory, ReadTransport, WriteTransport } from '@wireline/core'
import {
  READ_PIPE, StreamTransport, WRITE_PIPE, invalidArgType, invalidArgValue, traceConnect, validateFactory, onreadOption,
  makeProtocol, validateOpenSocket,
} from '@wireline/core/machinery'
import type { StreamProtocol } from './protocol.js'

/*
 * asyncio's pipe entry points: a read or write transport over a pipe's file descriptor or a
 * Node socket over one. The transports are core's `StreamTransport` of kind `READ_PIPE` or
 * `WRITE_PIPE` (a child's stdio in @wireline/subprocess uses the same kinds).
 */

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
function pipeSocket (pipe: unknown, direction: Direction): { socket: net.Socket, onread: boolean, watchReader: boolean } {
  if (pipe instanceof net.Socket) {
    validateOpenSocket(pipe, 'pipe')
    // asyncio watches a write pipe's fd for readability: a socket that can read tells us
    // when its reader went away
    return { socket: pipe, onread: false, watchReader: direction === 'write' && pipe.readable }
  }
  // a closed stream is a state error whatever its kind (on Bun a child's stdio is not a socket)
  if (pipe instanceof stream.Stream && (pipe as stream.Readable).destroyed) throw new InvalidStateError('pipe is closed')
  if (isBunChildStdio(pipe, direction)) {
    return { socket: pipe as unknown as net.Socket, onread: false, watchReader: false }
  }
  if (typeof pipe !== 'number') {
    throw invalidArgType('pipe must be a file descriptor or a net.Socket over one (process.stdin, a child\'s stdio, ...)')
  }
  if (!Number.isInteger(pipe) || pipe < 0) throw invalidArgValue(`pipe must be a file descriptor >= 0, got ${pipe}`)
  const st = fs.fstatSync(pipe)
  if (st.isFIFO() || st.isSocket()) {
    if (direction === 'read') {
      const read = onreadOption()
      const socket = new net.Socket({ fd: pipe, readable: true, writable: false, onread: read.option } as net.SocketConstructorOpts)
      read.attach(socket)
      return { socket, onread: true, watchReader: false }
    }
    // A socket can tell us its reader went away (EOF on read); a FIFO's write end cannot.
    const socket = new net.Socket({ fd: pipe, readable: st.isSocket(), writable: true })
    return { socket, onread: false, watchReader: st.isSocket() }
  }
  if (st.isCharacterDevice() && tty.isatty(pipe)) {
    const socket = direction === 'read' ? new tty.ReadStream(pipe) : new tty.WriteStream(pipe)
    return { socket, onread: false, watchReader: false }
  }
  throw notAPipe()
}

/**
 * Bun gives a child's stdio as plain streams, not sockets (its stdout a `Readable`, its stdin
 * a `WriteStream`); core's pipe transports run over them as they do in @wireline/subprocess.
 */
function isBunChildStdio (pipe: unknown, direction: Direction): pipe is stream.Readable | stream.Writable {
  if (!('Bun' in globalThis)) return false
  return direction === 'read' ? pipe instanceof stream.Readable : pipe instanceof stream.Writable
}

function openPipe<P extends StreamProtocol> (factory: ProtocolFactory<P>, pipe: unknown, direction: Direction): Promise<[StreamTransport, P]> {
  validateFactory(factory)
  const { socket, onread, watchReader } = pipeSocket(pipe, direction)
  return traceConnect({ family: 'pipe', direction, pipe }, () => startPipe(factory, pipe, socket, onread, watchReader, direction))
}

async function startPipe<P extends StreamProtocol> (
  factory: ProtocolFactory<P>, pipe: unknown, socket: net.Socket, onread: boolean, watchReader: boolean,
  direction: Direction,
): Promise<[StreamTransport, P]> {
  let protocol: P
  try {
    protocol = makeProtocol(factory)
  } catch (err) {
    if (socket !== pipe) socket.destroy()
    throw err
  }
  const transport = new StreamTransport(direction === 'read'
    ? { socket, protocol, kind: READ_PIPE, onread, extra: { pipe: socket } }
    : { socket, protocol, kind: WRITE_PIPE, watchReader, extra: { pipe: socket } })
  const error = transport.start()
  if (error !== null) throw error
  return [transport, protocol]
}

/**
 * asyncio `loop.connect_read_pipe(factory, pipe)`: a read transport over `pipe` (a file
 * descriptor, or a Node socket over one: a FIFO, a child's stdout, `process.stdin`). EOF
 * calls `eofReceived()`, then `connectionLost(null)`.
 */
export function connectReadPipe<P extends StreamProtocol> (factory: ProtocolFactory<P>, pipe: number | net.Socket): Promise<[ReadTransport, P]> {
  return openPipe(factory, pipe, 'read')
}

/**
 * asyncio `loop.connect_write_pipe(factory, pipe)`: a write transport over `pipe`, with the
 * shared write path and flow control. `writeEof()` and `close()` close the pipe.
 */
export function connectWritePipe<P extends StreamProtocol> (factory: ProtocolFactory<P>, pipe: number | net.Socket): Promise<[WriteTransport, P]> {
  return openPipe(factory, pipe, 'write')
}
