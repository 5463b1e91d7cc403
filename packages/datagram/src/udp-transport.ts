import * as dns from 'node:dns'
import type * as dgram from 'node:dgram'
import { WriteFlowControl, callExceptionHandler } from '@wireline/core'
import {
  LOG_THRESHOLD_FOR_CONNLOST_WRITES, asError, checkProtocol, invalidArgValue, kTransport, publishConnectionLost, publishConnectionMade,
  toBuffer,
} from '@wireline/core/machinery'
import type { AnyProtocol, WriteBufferLimits, WriteData } from '@wireline/core'
import { checkAddress, formatAddress, literalFamily, missingArgs } from './address.js'
import type { IPFamily } from './address.js'
import { DATAGRAM_HEADER_SIZE } from './constants.js'
import { HeldDatagrams } from './held-datagrams.js'
import type { DatagramAddress, DatagramProtocolShape, DatagramTransport } from './transport.js'

/** Where datagrams go when `sendto` is given no address. */
export interface DefaultRemote {
  /** The address as the caller gave it (a host name, maybe). */
  given: DatagramAddress
  /** The address it resolved to. */
  resolved: DatagramAddress
  /** True when the socket is connected to it (false with `allowBroadcast`: only recorded). */
  connected: boolean
}

export interface UDPTransportOptions {
  socket: dgram.Socket
  protocol: AnyProtocol
  family: IPFamily
  remote: DefaultRemote | null
}

/** A receive-side event kept while reading is paused. */

/**
 * A UDP endpoint over a bound (and maybe connected) `dgram.Socket`, with asyncio's
 * `_SelectorDatagramTransport` semantics.
 *
 * - Sending: every datagram goes straight to the socket; when the kernel cannot take it at
 *   once, libuv queues it. That queue is the transport's send buffer: its size is libuv's
 *   `getSendQueueSize()` plus 8 bytes per queued datagram, exact and never leaking. Pause is
 *   checked inside `sendto`, resume from the send callbacks, by core's `WriteFlowControl`.
 * - Receiving: dgram cannot stop reading, so while reading is paused the datagrams that
 *   arrive are kept, up to `PAUSED_READ_MAX_DATAGRAMS` / `PAUSED_READ_MAX_BYTES`, and
 *   delivered in order after `resumeReading()`; beyond the bound they are dropped.
 * - close / abort as asyncio; `connectionLost` from the socket's `'close'` event, so never
 *   synchronously and exactly once.
 */
export class UDPTransport implements DatagramTransport {
  readonly #socket: dgram.Socket
  readonly #flow: WriteFlowControl
  readonly #extra: Record<string, unknown>
  readonly #remote: DefaultRemote | null
  readonly #family: IPFamily
  #protocol: DatagramProtocolShape | null

  // sending
  /** Datagrams handed to `sendto` whose send callback has not run yet (or still resolving). */
  #inFlight = 0
  /** Queued bytes (payload + header) of datagrams waiting for their host name to resolve. */
  #resolving = 0
  #droppedSends = 0
  /** The last destination host checked, and its IP version (null: a host name). */
  #lastHost = ''
  #lastHostFamily: IPFamily | null = null

  // lifecycle
  #made = false
  #closing = false
  #aborted = false
  #socketClosed = false
  #lost = false
  #lostError: Error | null = null

  // receiving
  #readPaused = false
  readonly #held = new HeldDatagrams()
  #drainScheduled = false

  constructor (options: UDPTransportOptions) {
    const socket = options.socket
    this.#socket = socket
    this.#protocol = options.protocol as DatagramProtocolShape
    this.#remote = options.remote
    this.#family = options.family
    this.#flow = new WriteFlowControl({ flowProtocol: () => this.#protocol }, this)
    const local = socket.address()
    let peername: DatagramAddress | null = null
    if (options.remote?.connected === true) {
      const peer = socket.remoteAddress()
      peername = [peer.address, peer.port]
    }
    this.#extra = { sockname: [local.address, local.port], peername, socket }
    socket.on('message', this.#onMessage)
    socket.on('error', this.#onError)
    socket.on('close', this.#onClose)
  }

  get [kTransport] (): true { return true }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Calls the protocol's `connectionMade(this)`; reading starts with it. Returns the error
   * `connectionMade` threw (the endpoint is then being closed and `connectionLost(thatError)`
   * follows), or `null`.
   * @internal for `createDatagramEndpoint`
   */
  _connectionMade (): Error | null {
    this.#made = true
    const protocol = this.#protocol
    try {
      protocol?.connectionMade?.(this)
    } catch (err) {
      const error = asError(err)
      callExceptionHandler({
        message: 'Fatal error: protocol.connectionMade() call failed.', exception: error, transport: this, protocol,
      })
      this.#forceClose(error)
      return error
    }
    publishConnectionMade(this, protocol)
    return null
  }

  close (): void {
    if (this.#closing) return
    this.#closing = true
    this.#held.clear()
    if (this.#inFlight === 0) this.#closeSocket()
  }

  abort (): void {
    this.#forceClose(null)
  }

  isClosing (): boolean {
    return this.#closing
  }

  getExtraInfo (name: string, defaultValue?: unknown): any {
    const value = this.#extra[name]
    return value === undefined ? defaultValue : value
  }

  setProtocol (protocol: AnyProtocol): void {
    checkProtocol(protocol)
    this.#protocol = protocol as DatagramProtocolShape
  }

  getProtocol (): AnyProtocol | null {
    return this.#protocol
  }

  toString (): string {
    const state = this.#lost ? 'closed' : this.#closing ? 'closing' : 'open'
    return `<UDPTransport ${state}>`
  }

  // ---------------------------------------------------------------- receiving

  isReading (): boolean {
    return !this.#closing && !this.#readPaused
  }

  pauseReading (): void {
    if (this.#closing) return
    this.#readPaused = true
  }

  resumeReading (): void {
    if (this.#closing || !this.#readPaused) return
    this.#readPaused = false
    if (this.#held.pending) this.#scheduleDrain()
  }

  readonly #onMessage = (data: Buffer, rinfo: dgram.RemoteInfo): void => {
    // Before connectionMade nothing can arrive (the socket is bound and connected in one
    // tick); after close() reading has stopped.
    if (this.#closing || !this.#made) return
    if (this.#readPaused || this.#held.pending) {
      this.#held.holdDatagram(data, [rinfo.address, rinfo.port])
      return
    }
    this.#deliver(data, [rinfo.address, rinfo.port])
  }

  /** Receive errors (ECONNREFUSED from an ICMP port unreachable, ...): the endpoint stays open. */
  readonly #onError = (err: Error): void => {
    if (this.#closing || !this.#made) return
    if (this.#readPaused || this.#held.pending) {
      // Delivered in order with the datagrams, like asyncio, whose reader sees the error only on resume.
      this.#held.holdError(err)
      return
    }
    this.#errorReceived(err)
  }

  #scheduleDrain (): void {
    if (this.#drainScheduled) return
    this.#drainScheduled = true
    // asyncio resumes the reader; what it holds comes on a later loop iteration, never
    // inside resumeReading().
    setImmediate(this.#drain)
  }

  readonly #drain = (): void => {
    this.#drainScheduled = false
    while (this.#held.pending && !this.#readPaused && !this.#closing) {
      const item = this.#held.take()!
      if ('error' in item) this.#errorReceived(item.error)
      else this.#deliver(item.data, item.addr)
    }
  }

  #deliver (data: Buffer, addr: DatagramAddress): void {
    const protocol = this.#protocol
    try {
      protocol?.datagramReceived?.(data, addr)
    } catch (exception) {
      callExceptionHandler({ message: 'protocol.datagramReceived() failed', exception, transport: this, protocol })
    }
  }

  #errorReceived (error: Error): void {
    const protocol = this.#protocol
    try {
      protocol?.errorReceived?.(error)
    } catch (exception) {
      callExceptionHandler({ message: 'protocol.errorReceived() failed', exception, transport: this, protocol })
    }
  }

  // ---------------------------------------------------------------- sending

  sendto (data: WriteData, addr?: DatagramAddress | null): void {
    const buf = toBuffer(data)
    const remote = this.#remote
    let host: string
    let port: number
    if (remote !== null) {
      if (addr !== undefined && addr !== null) {
        checkAddress(addr, 'addr', 1)
        if (!sameAddress(addr, remote)) {
          throw invalidArgValue(`Invalid address: must be null or ${formatAddress(remote.given)}`)
        }
      }
      host = remote.resolved[0]
      port = remote.resolved[1]
    } else {
      if (addr === undefined || addr === null) {
        throw missingArgs('sendto() needs an address on an endpoint made without remoteAddr')
      }
      checkAddress(addr, 'addr', 1, this.#lastHost)
      host = addr[0]
      port = addr[1]
      if (host !== this.#lastHost) {
        this.#lastHost = host
        this.#lastHostFamily = literalFamily(host)
      }
      const family = this.#lastHostFamily
      if (family !== null && family !== this.#family) {
        if (family === 6) throw invalidArgValue(`addr ${host} is an IPv6 address but the endpoint is IPv4`)
        // An IPv6 socket reaches IPv4 peers at their mapped address (dual stack).
        host = `::ffff:${host}`
      }
    }
    if (this.#closing) {
      this.#droppedSend()
      return
    }
    const socket = this.#socket
    this.#inFlight++
    try {
      if (remote?.connected === true) {
        socket.send(buf, this.#onSent)
      } else if (remote !== null || this.#lastHostFamily !== null) {
        socket.send(buf, port, host, this.#onSent)
      } else {
        this.#resolveAndSend(buf, host, port)
      }
    } catch (err) {
      this.#inFlight--
      // The dgram socket was closed directly, under the transport: its 'close' is on the way.
      if (!isNotRunning(err)) throw err
      this.#droppedSend()
      return
    }
    // libuv's queue can hold earlier datagrams only while their send callbacks are pending;
    // with none, it holds at most this one, which pauses only if it alone is over the mark.
    const flow = this.#flow
    if (!flow.paused && (this.#resolving !== 0 ||
      ((this.#inFlight > 1 || buf.length + DATAGRAM_HEADER_SIZE > flow.high) && socket.getSendQueueCount() !== 0))) {
      flow.maybePause(this.getWriteBufferSize())
    }
  }

  /**
   * A datagram for a host name: resolved first (as Node's dgram does for every send), counted
   * in the send buffer meanwhile, then sent to the address it resolved to (an IPv6 socket
   * takes IPv4 answers too, at their mapped address).
   */
  #resolveAndSend (buf: Buffer, host: string, port: number): void {
    const cost = buf.length + DATAGRAM_HEADER_SIZE
    this.#resolving += cost
    dns.lookup(host, { family: this.#family === 4 ? 4 : 0 }, (err, address, family) => {
      this.#resolving -= cost
      if (err !== null || this.#socketClosed) {
        this.#onSent(err)
        return
      }
      try {
        this.#socket.send(buf, port, family === this.#family ? address : `::ffff:${address}`, this.#onSent)
      } catch (sendError) {
        this.#onSent(isNotRunning(sendError) ? null : asError(sendError))
      }
    })
  }

  #droppedSend (): void {
    if (++this.#droppedSends === LOG_THRESHOLD_FOR_CONNLOST_WRITES) {
      process.emitWarning('UDPTransport: sendto() after the transport was closed; the datagrams are dropped',
        { code: 'WL_WARN_WRITE_AFTER_CLOSE' })
    }
  }

  /** Every send's callback: Node calls it once the datagram is in the kernel or failed. */
  readonly #onSent = (err: Error | null | undefined): void => {
    this.#inFlight--
    if (this.#aborted || this.#lost) return // abort() dropped the queue; ECANCELED is no news
    if (err != null) {
      this.#errorReceived(err)
      if (this.#aborted || this.#lost) return
    }
    if (this.#flow.paused) {
      this.#flow.maybeResume(this.getWriteBufferSize())
      if (this.#aborted || this.#lost) return
    }
    if (this.#closing && this.#inFlight === 0) this.#closeSocket()
  }

  getWriteBufferSize (): number {
    if (this.#aborted || this.#socketClosed) return 0
    const socket = this.#socket
    const count = socket.getSendQueueCount()
    if (count === 0) return this.#resolving
    return socket.getSendQueueSize() + count * DATAGRAM_HEADER_SIZE + this.#resolving
  }

  getWriteBufferLimits (): [low: number, high: number] {
    return this.#flow.getLimits()
  }

  setWriteBufferLimits (limits?: WriteBufferLimits | null): void {
    this.#flow.setLimits(limits, this.getWriteBufferSize())
  }

  // ---------------------------------------------------------------- the end

  #forceClose (error: Error | null): void {
    if (this.#aborted || this.#lost) return
    if (error !== null) this.#lostError ??= error
    this.#closing = true
    this.#aborted = true
    this.#held.clear()
    this.#closeSocket()
  }

  /** Closes the socket (libuv cancels what is still queued); `'close'` follows on the next tick. */
  #closeSocket (): void {
    if (this.#socketClosed) return
    this.#socketClosed = true
    try {
      this.#socket.close()
    } catch {
      // Closed under us (someone called close() on the socket itself): its 'close' is on its way.
    }
  }

  readonly #onClose = (): void => {
    if (this.#lost) return
    this.#lost = true
    this.#closing = true
    this.#socketClosed = true
    this.#held.clear()
    const protocol = this.#protocol
    try {
      protocol?.connectionLost?.(this.#lostError)
    } catch (exception) {
      callExceptionHandler({ message: 'protocol.connectionLost() failed', exception, transport: this, protocol })
    } finally {
      this.#protocol = null
    }
    publishConnectionLost(this, protocol, this.#lostError)
  }
}

/** `addr` names the default remote: as it was given, or as it resolved. */
function sameAddress (addr: DatagramAddress, remote: DefaultRemote): boolean {
  return addr[1] === remote.resolved[1] &&
    (addr[0] === remote.resolved[0] || addr[0] === remote.given[0])
}

function isNotRunning (err: unknown): boolean {
  return (err as NodeJS.ErrnoException | null)?.code === 'ERR_SOCKET_DGRAM_NOT_RUNNING'
}

