import type * as net from 'node:net'
import { InvalidStateError } from '../errors.js'
import type { AnyProtocol, BufferedProtocolShape, StreamProtocolShape } from '../protocol.js'
import { asError } from './args.js'
import { toProtocolBuffer } from './bytes.js'
import { deliveredReadMemory, deliveringReadMemory, paceReadMemory } from './collector-pacing.js'
import { deliverEof } from './eof-received.js'
import { COPY_READ_MAX, READ_BUFFER_SIZE } from './limits.js'
import { bindReadSink, isSharedReadBuffer, readSinkOf, sharedReadBuffer } from './onread.js'
import type { ReadSink } from './onread.js'
import { offSocketEnd, onSocketEnd } from './socket-end.js'
import type { TransportKind } from './transport-kinds.js'

/** A protocol as the read path drives it: stream callbacks, and the buffered ones if it has them. */
export type ReadingProtocol = StreamProtocolShape & Partial<BufferedProtocolShape>

/** What the read path needs from its transport. */
export interface ReadHost {
  getProtocol(): AnyProtocol | null
  isClosing(): boolean
  /** The peer's EOF closes the transport. */
  closeAfterEof(): void
  /** A protocol callback threw: report it and abort the connection. */
  fatal(error: Error, callback: string): void
  /** The socket closed while input was held back; now that it is delivered, the loss is due. */
  connectionEnded(): void
  /** What the EOF does (`eofAlwaysCloses`, the keep-open warning). */
  readonly kind: TransportKind
}

// The read path's state, one bit each in one field (ten fields add up at 10,000 connections).
/** The protocol is a buffered one (`getBuffer`/`bufferUpdated`). */
const BUFFERED = 1 << 0
/** `connectionMade` has run. */
const STARTED = 1 << 1
const PAUSED = 1 << 2
const EOF = 1 << 3
/** The last read was large: the next one goes into a buffer of this transport's own, to be handed over. */
const LAST_LARGE = 1 << 4
const EOF_PENDING = 1 << 5
const CLOSE_PENDING = 1 << 6
const HELD_SCHEDULED = 1 << 7
/** Closing: what still arrives is read and dropped (see `discardInput()`). */
const DISCARDING = 1 << 8
/** Reads come from `'data'` events (not through `ONREAD`). */
const DATA_ROUTE = 1 << 9

/**
 * The read side of a byte-stream transport: where bytes arrive and how they reach the protocol
 * (asyncio `_SelectorSocketTransport._read_ready`, uvloop `UVStream.__uv_stream_on_read`).
 *
 * Routes in: through `ONREAD` into memory that is reused (the read buffer all
 * sockets share, copied out at once; after a large read, a buffer of the transport's own,
 * handed over whole for the next large one; see `COPY_READ_MAX`), or into the buffered
 * protocol's own buffer; or from `'data'` events where Node gives no choice (accepted and
 * TLS sockets it cannot adopt, pipes it made). Delivery follows the current protocol:
 * `dataReceived` for a stream protocol, `getBuffer`/`bufferUpdated` for a buffered one,
 * decided again after every `setProtocol`.
 *
 * While reading is paused nothing is delivered, whatever the route: bytes that arrive anyway
 * (the rest of a chunk a protocol paused in the middle of, a chunk Node had already read) are
 * held, and delivered in order, before anything newer, once reading resumes. So is an EOF
 * that came meanwhile, and then the socket's close.
 */
export class ReadPath implements ReadSink {
  readonly #socket: net.Socket
  readonly #host: ReadHost
  /** `BUFFERED`, `PAUSED`, ...: the flags at the top of this file. */
  #state: number
  #readBuf: Buffer | null = null
  #protoBuf: Uint8Array | null = null
  #protoBufOwner: ReadingProtocol | null = null
  #held: Uint8Array | null = null

  #is (flag: number): boolean {
    return (this.#state & flag) !== 0
  }

  #set (flag: number, on: boolean): void {
    this.#state = on ? this.#state | flag : this.#state & ~flag
  }

  /**
   * `onread`: the socket reads through `ONREAD` (created with it, or adopted); else through
   * its `'data'` events. Either way the socket's listeners are functions every read path
   * shares, which find this one through the socket (memory per connection).
   */
  constructor (socket: net.Socket, host: ReadHost, onread: boolean) {
    this.#socket = socket
    this.#host = host
    this.#state = (isBuffered(host.getProtocol()) ? BUFFERED : 0) | (onread ? 0 : DATA_ROUTE)
    bindReadSink(socket, this)
    onSocketEnd(socket, ReadPath.#onSocketEnd)
    if (!onread) {
      // 'data' mode: paused until connectionMade has run, then flowing while reading is
      // wanted. Node itself resumes some streams (a child's stdio once it exited): the
      // 'resume' listener keeps a paused transport paused.
      socket.pause()
      socket.on('data', ReadPath.#onSocketData)
      socket.on('resume', ReadPath.#onSocketResume)
    }
  }

  static readonly #onSocketEnd = function (this: net.Socket): void {
    (readSinkOf(this) as ReadPath).#onEnd()
  }

  static readonly #onSocketData = function (this: net.Socket, chunk: Buffer): void {
    (readSinkOf(this) as ReadPath).#onChunk(chunk)
  }

  static readonly #onSocketResume = function (this: net.Socket): void {
    (readSinkOf(this) as ReadPath).#onResume()
  }

  /** The protocol changed: pick the delivery that fits it. */
  protocolChanged (protocol: AnyProtocol): void {
    this.#set(BUFFERED, isBuffered(protocol))
  }

  /** `connectionMade` has run: reading may begin. */
  start (): void {
    this.#set(STARTED, true)
    this.update()
  }

  isReading (): boolean {
    return !this.#host.isClosing() && !this.#is(PAUSED) && !this.#is(EOF)
  }

  pause (): void {
    if (this.#host.isClosing() || this.#is(PAUSED)) return
    this.#set(PAUSED, true)
    this.update()
  }

  resume (): void {
    if (this.#host.isClosing() || !this.#is(PAUSED)) return
    this.#set(PAUSED, false)
    this.update()
  }

  #wantRead (): boolean {
    return this.#is(STARTED) && !this.#is(PAUSED) && !this.#is(EOF) && !this.#host.isClosing()
  }

  /** Starts or stops the socket's reading to match the state. */
  update (): void {
    if (this.#is(DISCARDING)) return
    if (!this.#wantRead()) {
      this.#socket.pause()
      return
    }
    if (this.#held !== null || this.#is(EOF_PENDING)) {
      // Bytes (or an EOF) held back by an earlier pause go first; the socket resumes after them.
      this.#scheduleHeld()
      return
    }
    this.#socket.resume()
  }

  /**
   * The transport is closing: nothing more reaches the protocol, but the socket goes on
   * reading, and dropping, what still arrives until it is gone. Closing a socket with unread
   * bytes in the kernel makes it send a reset instead of a FIN, and a reset throws away what
   * we wrote and the peer has not read yet (a TLS 1.3 server's session tickets are enough to
   * cause it): every byte written before `close()` must reach the peer.
   */
  discardInput (): void {
    this.#set(DISCARDING, true)
    this.dropHeld()
    this.#socket.resume()
  }

  /** Input (bytes or the EOF) is held back, waiting for a resume. */
  holdsInput (): boolean {
    return this.#held !== null || this.#is(EOF_PENDING)
  }

  /** The socket closed while input is held: the loss comes after it, on resume. */
  deferClose (): void {
    this.#set(CLOSE_PENDING, true)
  }

  /**
   * The transport is being closed or aborted; if the socket's close was put off, it is due
   * now (never synchronously from `close()` or `abort()`). True if it was.
   */
  settleDeferredClose (): boolean {
    if (!this.#is(CLOSE_PENDING)) return false
    this.#set(CLOSE_PENDING, false)
    setImmediate(() => this.#host.connectionEnded())
    return true
  }

  /** Forgets what is held (an abort). */
  dropHeld (): void {
    this.#held = null
    this.#set(EOF_PENDING, false)
  }

  /** Stops listening to the socket and returns held bytes to it, for the transport that takes over (startTls). */
  detach (): void {
    const socket = this.#socket
    offSocketEnd(socket, ReadPath.#onSocketEnd)
    if (this.#is(DATA_ROUTE)) {
      socket.off('data', ReadPath.#onSocketData)
      socket.off('resume', ReadPath.#onSocketResume)
    }
    const held = this.#held
    if (held !== null) socket.unshift(Buffer.from(held.buffer, held.byteOffset, held.byteLength))
    this.#held = null
  }

  #scheduleHeld (): void {
    if (this.#is(HELD_SCHEDULED)) return
    this.#set(HELD_SCHEDULED, true)
    setImmediate(() => {
      this.#set(HELD_SCHEDULED, false)
      if (!this.#wantRead()) return
      const held = this.#held
      this.#held = null
      if (held !== null) this.#deliverCopy(held)
      if (this.#is(EOF_PENDING) && this.#held === null && this.#wantRead()) {
        this.#set(EOF_PENDING, false)
        this.#onEnd()
      }
      if (this.#is(CLOSE_PENDING) && this.#held === null && !this.#is(EOF_PENDING)) {
        this.#set(CLOSE_PENDING, false)
        this.#host.connectionEnded()
        return
      }
      this.update()
    })
  }

  /** The buffer Node reads into next (`ONREAD` asks after every read). */
  nextReadBuffer (): Uint8Array {
    const protocol = this.#host.getProtocol() as ReadingProtocol | null
    if (this.#is(BUFFERED) && !this.#host.kind.getBufferOnArrival && protocol !== null && this.#wantRead() && this.#held === null) {
      const buf = this.#protocolBuffer(protocol)
      if (buf === null) return this.#ownBuffer()
      this.#protoBuf = buf
      this.#protoBufOwner = protocol
      return buf
    }
    this.#protoBuf = null
    return this.#is(LAST_LARGE) ? this.#ownBuffer() : sharedReadBuffer()
  }

  #ownBuffer (): Buffer {
    if (this.#readBuf === null) {
      this.#readBuf = Buffer.allocUnsafeSlow(READ_BUFFER_SIZE)
      paceReadMemory(READ_BUFFER_SIZE)
    }
    return this.#readBuf
  }

  /** A buffered protocol's `getBuffer(-1)`, checked; null (the connection is being aborted) if it failed. */
  #protocolBuffer (protocol: ReadingProtocol): Uint8Array | null {
    let buf: Uint8Array
    try {
      buf = toProtocolBuffer(protocol.getBuffer!(-1))
    } catch (err) {
      this.#host.fatal(asError(err), 'getBuffer')
      return null
    }
    if (buf.length === 0) {
      this.#host.fatal(new InvalidStateError('getBuffer() returned an empty buffer'), 'getBuffer')
      return null
    }
    return buf
  }

  /** A read landed in `buf` (the onread callback). */
  onRead (nread: number, buf: Uint8Array): boolean {
    // Closing: a close() goes on reading and dropping (see discardInput), an upgrade stops.
    if (this.#host.isClosing()) return this.#is(DISCARDING)
    const protocol = this.#host.getProtocol() as ReadingProtocol
    if (buf === this.#protoBuf) {
      this.#protoBuf = null
      if (this.#is(BUFFERED) && protocol === this.#protoBufOwner && !this.#is(PAUSED)) {
        try {
          protocol.bufferUpdated?.(nread)
        } catch (err) {
          this.#host.fatal(asError(err), 'bufferUpdated')
        }
        return true
      }
      // The protocol was replaced or paused meanwhile: the bytes go on as a copy.
      this.#route(Buffer.from(buf.subarray(0, nread)))
      return true
    }
    // The read landed in memory of the transport's own, to be reused: whatever is kept is copied.
    if (this.#is(PAUSED) || this.#held !== null) {
      this.#hold(Buffer.from(buf.subarray(0, nread)))
      return true
    }
    if (this.#is(BUFFERED)) {
      this.#feed(buf.subarray(0, nread), true)
      return true
    }
    let data: Buffer
    this.#set(LAST_LARGE, nread > COPY_READ_MAX)
    if (nread <= COPY_READ_MAX || isSharedReadBuffer(buf)) {
      data = Buffer.allocUnsafe(nread)
      ;(buf as Buffer).copy(data, 0, 0, nread)
      paceReadMemory(nread)
    } else {
      // A large read: hand the buffer itself over; the next read takes a fresh one.
      data = (buf as Buffer).subarray(0, nread)
      if (buf === this.#readBuf) this.#readBuf = null
    }
    deliveringReadMemory(data)
    try {
      protocol.dataReceived?.(data)
    } catch (err) {
      this.#host.fatal(asError(err), 'dataReceived')
    }
    deliveredReadMemory()
    return true
  }

  #onChunk (chunk: Buffer): void {
    if (this.#host.isClosing()) return
    this.#route(chunk) // Node allocated it for us: kept as is
  }

  #onResume (): void {
    if (this.#is(DISCARDING)) return
    if (!this.#wantRead() || this.#held !== null) this.#socket.pause()
  }

  /** Bytes the protocol may keep: held while reading is paused (or before it started), else delivered. */
  #route (data: Uint8Array): void {
    if (this.#is(PAUSED) || this.#held !== null || !this.#is(STARTED)) {
      this.#hold(data)
      return
    }
    this.#deliverCopy(data)
  }

  /** Delivers bytes the protocol may keep (a chunk Node allocated, or a copy). */
  #deliverCopy (data: Uint8Array): void {
    if (this.#is(BUFFERED)) {
      this.#feed(data, false)
      return
    }
    try {
      (this.#host.getProtocol() as ReadingProtocol | null)?.dataReceived?.(data)
    } catch (err) {
      this.#host.fatal(asError(err), 'dataReceived')
    }
  }

  /**
   * Copies `data` into the buffers a buffered protocol gives (asyncio
   * `_feed_data_to_buffered_proto`). The state is checked again before every piece: if the
   * protocol pauses reading midway, the rest is held and delivered in order on resume; if it
   * is replaced by a stream protocol, the rest goes to `dataReceived`. `transient` data (the
   * transport's reusable memory) is copied when kept.
   */
  #feed (data: Uint8Array, transient: boolean): void {
    let offset = 0
    while (offset < data.length) {
      if (this.#host.isClosing()) return
      if (this.#is(PAUSED) || !this.#is(BUFFERED)) {
        const rest = transient ? Buffer.from(data.subarray(offset)) : data.subarray(offset)
        if (this.#is(PAUSED)) this.#hold(rest)
        else this.#deliverCopy(rest)
        return
      }
      const protocol = this.#host.getProtocol() as ReadingProtocol
      const buf = this.#protocolBuffer(protocol)
      if (buf === null) return
      const n = Math.min(buf.length, data.length - offset)
      buf.set(data.subarray(offset, offset + n))
      offset += n
      try {
        protocol.bufferUpdated?.(n)
      } catch (err) {
        this.#host.fatal(asError(err), 'bufferUpdated')
        return
      }
    }
  }

  /** Keeps bytes that arrived while the protocol has reading paused. */
  #hold (rest: Uint8Array): void {
    this.#held = this.#held === null ? rest : Buffer.concat([this.#held, rest])
    this.#socket.pause()
  }

  #onEnd (): void {
    if (this.#host.isClosing()) return
    if (this.#is(PAUSED) || this.#held !== null) {
      // Node may announce the end after a pause that came with the last chunk; asyncio would
      // not have read the EOF yet. Deliver it once reading resumes.
      this.#set(EOF_PENDING, true)
      return
    }
    this.#set(EOF, true)
    deliverEof(this.#host)
  }
}

function isBuffered (protocol: AnyProtocol | null): boolean {
  return protocol !== null && typeof (protocol as ReadingProtocol).getBuffer === 'function'
}
