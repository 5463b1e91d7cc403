import type * as net from 'node:net'
import type { AnyProtocol } from '../protocol.js'
import type { OnreadBridge } from './onread-bridge.js'
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
  /** Present when the socket was created with `bridge.onread`: reads come through it. */
  bridge?: OnreadBridge | null
  /** Extra-info values, captured now; `socket` is added. */
  extra?: Record<string, unknown>
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
