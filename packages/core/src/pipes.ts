import type * as net from 'node:net'
import { StreamTransport } from './stream-transport.js'
import type { OnreadBridge, TransportOwner } from './stream-transport.js'
import type { AnyProtocol } from './protocol.js'

/** Options of the pipe transports. */
export interface PipeTransportOptions {
  /** Present when the socket was created with `bridge.onread`. */
  bridge?: OnreadBridge | null
  /** More extra-info values (`pipe` is set to the socket). */
  extra?: Record<string, unknown>
  owner?: TransportOwner | null
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
    closeMode: 'destroy',
    extra: { ...options.extra, pipe: socket },
    owner: options.owner,
  })
}
