import type * as net from 'node:net'
import type { StreamTransport } from './stream-transport.js'

/**
 * The transport of a socket, kept on the socket: the functions every transport shares (the
 * socket's listeners, the completion of a direct write) find their transport through it, where
 * a closure per connection and callback would add up at 10,000 connections.
 */
const kStreamTransport = Symbol('wireline.streamTransport')

interface TransportHolder { [kStreamTransport]?: StreamTransport }

/** Makes `transport` the one `transportOf(socket)` finds. */
export function bindTransport (socket: net.Socket, transport: StreamTransport): void {
  (socket as unknown as TransportHolder)[kStreamTransport] = transport
}

/** The transport bound to `socket` (see `bindTransport`), if any. */
export function transportOf (socket: object): StreamTransport | undefined {
  return (socket as TransportHolder)[kStreamTransport]
}
