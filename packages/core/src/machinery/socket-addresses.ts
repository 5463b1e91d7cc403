import type * as net from 'node:net'
import type { Address } from '../transport.js'

/** `[host, port]` of a connected TCP socket's two ends. */
export function tcpAddresses (socket: net.Socket): { peername: Address, sockname: Address } {
  return {
    peername: [socket.remoteAddress ?? '', socket.remotePort ?? 0],
    sockname: [socket.localAddress ?? '', socket.localPort ?? 0],
  }
}

/**
 * A TCP transport's two addresses, captured when the connection is made, as asyncio captures
 * them (a peer's reset must not take them away), and kept in the least memory: made into the
 * `peername` and `sockname` extra info only when first asked for (most connections never
 * are). Their hosts are shared between connections where they are the same (see `tcpExtra`).
 */
export class TcpAddresses {
  constructor (
    /** The peer's host (`peername[0]`). */
    readonly peerHost: string,
    /** The peer's port (`peername[1]`). */
    readonly peerPort: number,
    /** This end's host (`sockname[0]`). */
    readonly localHost: string,
    /** This end's port (`sockname[1]`). */
    readonly localPort: number,
  ) {}

  /** The extra info: `peername` and `sockname` as `[host, port]`. */
  toExtra (): { peername: Address, sockname: Address } {
    return { peername: [this.peerHost, this.peerPort], sockname: [this.localHost, this.localPort] }
  }
}

/** An address as the handle's `getpeername`/`getsockname` fill it in. */
interface HandleAddress { address?: unknown, port?: unknown }

type AddressGetter = (out: HandleAddress) => number

/** What the handle fills in, one pair for every call: read at once, nothing per connection for the collector. */
const peerOut: HandleAddress = {}
const localOut: HandleAddress = {}

/**
 * The addresses of a connected TCP socket. Straight from its libuv handle where it has the
 * methods Node's own getters call (`getpeername`, `getsockname`: undocumented, hence checked;
 * the getters would also keep a copy on the socket), else through `remoteAddress` and
 * friends. Node makes a new string for an address each time: the last host seen at each end
 * is reused when the next is the same, so 10,000 connections from one client share one.
 */
export function tcpExtra (socket: net.Socket): TcpAddresses {
  const handle = (socket as unknown as { _handle?: { getpeername?: unknown, getsockname?: unknown } | null })._handle
  if (handle != null && typeof handle.getpeername === 'function' && typeof handle.getsockname === 'function') {
    const peer = peerOut
    const local = localOut
    if ((handle.getpeername as AddressGetter).call(handle, peer) === 0 &&
      (handle.getsockname as AddressGetter).call(handle, local) === 0 &&
      typeof peer.address === 'string' && typeof peer.port === 'number' &&
      typeof local.address === 'string' && typeof local.port === 'number') {
      return new TcpAddresses(lastPeerHost.keep(peer.address), peer.port, lastLocalHost.keep(local.address), local.port)
    }
  }
  return new TcpAddresses(socket.remoteAddress ?? '', socket.remotePort ?? 0, socket.localAddress ?? '', socket.localPort ?? 0)
}

/** Keeps one copy of a string while the next ones are equal to it. */
class LastString {
  #last = ''
  keep (s: string): string {
    if (s !== this.#last) this.#last = s
    return this.#last
  }
}

const lastPeerHost = new LastString()
const lastLocalHost = new LastString()
