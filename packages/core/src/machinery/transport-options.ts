import type * as net from 'node:net'
import type { AnyProtocol } from '../protocol.js'
import type { TcpAddresses } from './socket-addresses.js'
import type { StreamTransport } from './stream-transport.js'
import type { TransportKind } from './transport-kinds.js'
import type { FlowState } from './write-path.js'

/** What tracks transports (a `Server`): told when one starts and when it is gone. */
export interface TransportOwner {
  /** A transport it made has started (its `connectionMade` ran). */
  attach(transport: StreamTransport): void
  /** A transport it made is gone (lost, or handed over by an upgrade). */
  detach(transport: StreamTransport): void
}

/** Options of `new StreamTransport()`: the socket, the protocol, the kind, and what the kind needs. */
export interface StreamTransportOptions {
  /** The connected Node socket (TCP, Unix, TLS, or a pipe's socket). */
  socket: net.Socket
  protocol: AnyProtocol
  /** What kind of transport this is: its sides and how its ends behave. */
  kind: TransportKind
  /** True when the socket reads through `ONREAD` (created with it, or adopted); else `'data'` events. */
  onread?: boolean
  /**
   * Extra-info values, captured now, kept as given (not copied); `socket` is added. A TCP
   * transport's `TcpAddresses` become `peername` and `sockname` when first asked for.
   */
  extra?: Readonly<Record<string, unknown>> | TcpAddresses
  /**
   * A write-only transport over a socket that can also read (a socketpair end): watch it for
   * the reader going away (its EOF), as asyncio polls a write pipe. Gone with nothing
   * buffered: `connectionLost(null)`; with data still buffered: `connectionLost(EPIPE)`.
   */
  watchReader?: boolean
  /** Who tracks this transport (a server): attached now, detached right after `connectionLost`. */
  owner?: TransportOwner | null
  /** Publish `connectionMade` / `connectionLost` on the diagnostics channels (default true). */
  instrument?: boolean
  /** Flow-control state carried over from the transport this one replaces (startTls). */
  flowState?: FlowState | null
}
