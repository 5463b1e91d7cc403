import * as net from 'node:net'
import { toBuffer, toBuffers, toProtocolBuffer } from './bytes.js'
import { COPY_READ_MAX, LOG_THRESHOLD_FOR_CONNLOST_WRITES, READ_BUFFER_SIZE } from './constants.js'
import { InvalidStateError, UnsupportedError, WriteAfterEofError, asError, checkProtocol } from './errors.js'
import { callExceptionHandler } from './exception-handler.js'
import { WriteFlowControl } from './flow-control.js'
import type { AnyProtocol, BufferedProtocolShape, StreamProtocolShape } from './protocol.js'
import { kTransport } from './transport.js'
import type { ExtraInfo, Transport, WriteBufferLimits, WriteData } from './transport.js'

type ProtocolCallbacks = StreamProtocolShape & Partial<BufferedProtocolShape>

/**
 * The bridge between a socket created with Node's `onread` option and the transport that will
 * own it. The socket needs its `onread` option when it is created, before the connection is
 * made and therefore before the protocol and transport exist; the bridge is that option, and
 * reads are handed to the transport once `StreamTransport` binds it.
 */
export class OnreadBridge {
  #transport: StreamTransport | null = null

  /** Pass this as the `onread` option of `net.connect()` / `new net.Socket()`. */
  readonly onread = {
    buffer: (): Uint8Array => {
      const t = this.#transport
      return t !== null ? t._nextReadBuffer() : sharedReadBuffer()
    },
    callback: (nread: number, buf: Uint8Array): boolean => {
      const t = this.#transport
      // No transport yet: cannot happen (reading starts after 'connect'), but never lose data silently.
      if (t === null) throw new InvalidStateError('read before the transport was bound')
      return t._onRead(nread, buf)
    },
  }

  /** @internal */
  _bind (transport: StreamTransport): void {
    this.#transport = transport
  }
}

/** What tracks transports (a `Server`): told when one starts and when it is gone. */
export interface TransportOwner {
  _attach(transport: StreamTransport): void
  _detach(transport: StreamTransport): void
}

/** What `_beginUpgrade` hands over to the transport that replaces this one. */
export interface UpgradeState {
  socket: net.Socket
  protocol: AnyProtocol
  owner: TransportOwner | null
  flowState: { paused: boolean, limits: [low: number, high: number] }
}

/** How a transport's socket ends once a `close()` has flushed everything. */
export type CloseMode = 'end' | 'destroy'

export interface StreamTransportOptions {
  /** The connected Node socket (TCP, Unix, TLS, or a pipe's socket). */
  socket: net.Socket
  protocol: AnyProtocol
  /** Present when the socket was created with `bridge.onread`: reads come through it. */
  bridge?: OnreadBridge | null
  /** Whether the transport reads (false for a write pipe). Default true. */
  readable?: boolean
  /** Whether the transport writes (false for a read pipe). Default true. */
  writable?: boolean
  /** Extra-info values, captured now; `socket` is added. */
  extra?: Partial<ExtraInfo> & Record<string, unknown>
  /** `canWriteEof()`; default true (false for TLS). */
  canWriteEof?: boolean
  /** The peer's EOF closes the transport whatever `eofReceived` returns (TLS, read pipes). */
  eofAlwaysCloses?: boolean
  /** How the socket ends after a flushed close: `end` (FIN or close_notify, then destroy) or `destroy`. */
  closeMode?: CloseMode
  /** `writeEof()` closes the transport (a write pipe has no half-close: EOF is the close). */
  writeEofCloses?: boolean
  /**
   * A write-only transport over a socket that can also read (a socketpair end): watch it for
   * the reader going away (its EOF), as asyncio polls a write pipe. Gone with nothing
   * buffered: `connectionLost(null)`; with data still buffered: `connectionLost(EPIPE)`.
   */
  watchReader?: boolean
  /** Who tracks this transport (a server): attached now, detached right after `connectionLost`. */
  owner?: TransportOwner | null
  /** Flow-control state carried over from the transport this one replaces (startTls). */
  flowState?: { paused: boolean, limits: [low: number, high: number] } | null
  /** Warning emitted (once) when `eofReceived` returns true but the EOF closes anyway (TLS). */
  eofKeepOpenWarning?: string
  /** Class-like name used in messages, e.g. 'TCPTransport'. */
  name?: string
}

let sharedBuf: Buffer | null = null

/**
 * The read buffer every socket of the process shares for reads it copies out (uvloop keeps one
 * per loop): a read is copied before the callback returns, and no other read can land in
 * between, since all run one at a time on this thread. Shared, it stays in the cache, and a
 * connection that only sees small reads holds no read buffer of its own.
 */
function sharedReadBuffer (): Buffer {
  sharedBuf ??= Buffer.allocUnsafeSlow(READ_BUFFER_SIZE)
  return sharedBuf
}

let directWrites = true

/**
 * Turns the direct write path on or off (on by default where the capability check passes).
 * Off, every write goes through the socket's documented `write()`. For tests that cover both
 * paths, and for anyone who wants only documented Node APIs underneath.
 */
export function setSocketWriteFastPath (enabled: boolean): void {
  directWrites = enabled
}

/** The undocumented method of `net.Socket` that the direct write path calls. */
type DirectWriter = (writev: false, data: Buffer, encoding: 'buffer', cb: (err?: Error | null) => void) => void

/**
 * Whether writes may skip the socket's Writable machinery and go through Node's own
 * `Socket.prototype._writeGeneric` (the method `socket.write()` ends in): a plain `net.Socket`
 * over a libuv TCP or Pipe handle whose write methods are Node's own (not a TLS socket, not a
 * subclass, not patched). Undocumented, hence checked; `socket.write()` is the fallback.
 */
function canWriteDirect (socket: net.Socket, exactQueue: boolean): boolean {
  if (!directWrites || !exactQueue) return false
  const proto = net.Socket.prototype as unknown as Record<string, unknown>
  const own = socket as unknown as Record<string, unknown>
  return Object.getPrototypeOf(socket) === proto && typeof proto._writeGeneric === 'function' &&
    own.write === proto.write && own._write === proto._write && own._writeGeneric === proto._writeGeneric
}

/**
 * The transport machinery the families share (asyncio's `_SelectorSocketTransport`, uvloop's
 * `UVStream`): a Node socket underneath, asyncio's semantics on top.
 *
 * - Writes: a write goes straight to the socket when nothing is in flight; otherwise it waits
 *   in a queue of our own, sent as one vectored write when the one in flight completes. The
 *   buffer size is exact: the queue plus what the kernel has not taken of the write in flight.
 *   Pause is checked after every write, resume as writes complete. A single buffer goes to
 *   the handle through `_writeGeneric` where `canWriteDirect` allows (Node's Writable costs
 *   about a tenth of the CPU of a small echo: its state machine and a nextTick per write),
 *   else through `socket.write()`.
 * - Reads: through the `onread` bridge into memory that is reused (the read buffer all
 *   sockets share, copied out at once; after a large read, a buffer of the transport's own,
 *   handed over whole for the next large one; see `COPY_READ_MAX`), or into the protocol's
 *   own buffer for a buffered protocol, or from `'data'` events where Node gives no choice. Delivery follows the current protocol: `dataReceived` for a stream protocol,
 *   `getBuffer`/`bufferUpdated` for a buffered one, decided again after every `setProtocol`.
 * - close / abort / writeEof / EOF / fatal errors as asyncio, `connectionLost` from the
 *   socket's `'close'` event, so never synchronously and exactly once.
 */
export class StreamTransport implements Transport {
  readonly #socket: net.Socket
  readonly #flow: WriteFlowControl
  readonly #extra: Record<string, unknown>
  readonly #bridge: OnreadBridge | null
  readonly #readable: boolean
  readonly #writable: boolean
  readonly #canWriteEof: boolean
  readonly #eofAlwaysCloses: boolean
  readonly #closeMode: CloseMode
  readonly #writeEofCloses: boolean
  readonly #owner: TransportOwner | null
  readonly #eofKeepOpenWarning: string | undefined
  readonly #name: string
  /** True when `handle.writeQueueSize` tells how much of the write in flight is still unsent. */
  readonly #exactQueue: boolean
  /** Single writes go through `_writeGeneric` (see `canWriteDirect`). */
  readonly #direct: boolean

  #protocol: ProtocolCallbacks | null
  #buffered: boolean

  // write side
  #queue: Buffer[] = []
  #queued = 0
  /** Bytes of the direct write in flight (0: none); the socket's `writableLength` counts the others. */
  #inFlight = 0
  /** True while `_writeGeneric` runs: a write the kernel takes at once completes inside it. */
  #submitting = false
  #eofWritten = false
  #endCalled = false
  #sendfile = false
  #droppedWrites = 0

  // lifecycle
  #made = false
  #closing = false
  #finishing = false
  #aborted = false
  #lost = false
  #detached = false
  #lostError: Error | null = null
  #upgrade: { resolve: () => void, reject: (err: Error) => void } | null = null
  #drainWaiters: Array<(err: Error | null) => void> = []

  // read side
  #readPaused = false
  #eof = false
  #readBuf: Buffer | null = null
  /** The last read was large: the next one goes into a buffer of this transport's own, to be handed over. */
  #lastLarge = false
  #protoBuf: Uint8Array | null = null
  #protoBufOwner: ProtocolCallbacks | null = null
  #held: Uint8Array | null = null
  #eofPending = false
  #closePending = false
  #heldScheduled = false

  constructor (options: StreamTransportOptions) {
    const socket = options.socket
    this.#socket = socket
    this.#protocol = options.protocol as ProtocolCallbacks
    this.#buffered = typeof this.#protocol.getBuffer === 'function'
    this.#bridge = options.bridge ?? null
    this.#readable = options.readable ?? true
    this.#writable = options.writable ?? true
    this.#canWriteEof = options.canWriteEof ?? true
    this.#eofAlwaysCloses = options.eofAlwaysCloses ?? false
    this.#closeMode = options.closeMode ?? 'end'
    this.#writeEofCloses = options.writeEofCloses ?? false
    this.#owner = options.owner ?? null
    this.#eofKeepOpenWarning = options.eofKeepOpenWarning
    this.#name = options.name ?? 'Transport'
    this.#extra = { ...options.extra, socket }
    this.#flow = new WriteFlowControl({ flowProtocol: () => (this.#sendfile ? null : this.#protocol) }, this)
    if (options.flowState != null) this.#flow.carryOver(options.flowState.paused, options.flowState.limits)
    // libuv's own stream handles (TCP, Pipe) tell how much of a write in flight is unsent;
    // others (TLS) do not, and then the whole write in flight counts.
    const handle = (socket as unknown as { _handle?: { writeQueueSize?: unknown, constructor?: { name?: string } } })._handle
    const kind = handle?.constructor?.name
    this.#exactQueue = typeof handle?.writeQueueSize === 'number' && (kind === 'TCP' || kind === 'Pipe')
    this.#direct = canWriteDirect(socket, this.#exactQueue)

    socket.on('error', this.#onError)
    socket.on('close', this.#onClose)
    if (this.#readable) {
      socket.on('end', this.#onEnd)
      if (this.#bridge === null) {
        // 'data' mode: paused until connectionMade has run, then flowing while reading is
        // wanted. Node itself resumes some streams (a child's stdio once it exited): the
        // 'resume' listener keeps a paused transport paused.
        socket.pause()
        socket.on('data', this.#onChunk)
        socket.on('resume', this.#onResume)
      }
    } else if (options.watchReader === true) {
      socket.on('end', this.#onReaderGone)
      socket.on('data', ignore)
    }
    this.#bridge?._bind(this)
    this.#owner?._attach(this)
  }

  get [kTransport] (): true { return true }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Calls the protocol's `connectionMade(this)` (unless `callProtocol` is false: a transport
   * that takes over a connection, as after startTls), then starts reading unless the protocol
   * paused it. Returns the error `connectionMade` threw (the transport is then being aborted
   * and `connectionLost(thatError)` follows), or `null`.
   * For the code that made the connection (core's entry points, family packages).
   */
  _connectionMade ({ callProtocol = true }: { callProtocol?: boolean } = {}): Error | null {
    const protocol = this.#protocol
    this.#made = true
    try {
      if (callProtocol) protocol?.connectionMade?.(this)
    } catch (err) {
      const error = asError(err)
      this.#fatal(error, 'connectionMade')
      return error
    }
    this.#updateReading()
    return null
  }

  close (): void {
    if (this.#closing) return
    this.#closing = true
    this.#updateReading()
    if (this.#bufferEmpty()) this.#finishClose()
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
    this.#protocol = protocol as ProtocolCallbacks
    this.#buffered = typeof this.#protocol.getBuffer === 'function'
  }

  getProtocol (): AnyProtocol | null {
    return this.#protocol
  }

  /** The socket underneath, for family code. */
  get _socket (): net.Socket { return this.#socket }

  /** @internal true once `connectionLost` has been called */
  get _lost (): boolean { return this.#lost }

  toString (): string {
    const state = this.#lost ? 'closed' : this.#closing ? 'closing' : 'open'
    return `<${this.#name} ${state}>`
  }

  // ---------------------------------------------------------------- reading

  isReading (): boolean {
    return this.#readable && !this.#closing && !this.#readPaused && !this.#eof
  }

  pauseReading (): void {
    if (this.#closing || this.#readPaused) return
    this.#readPaused = true
    this.#updateReading()
  }

  resumeReading (): void {
    if (this.#closing || !this.#readPaused) return
    this.#readPaused = false
    this.#updateReading()
  }

  #wantRead (): boolean {
    return this.#readable && this.#made && !this.#closing && !this.#readPaused && !this.#eof && !this.#detached
  }

  #updateReading (): void {
    if (!this.#readable) return
    const socket = this.#socket
    if (!this.#wantRead()) {
      socket.pause()
      return
    }
    if (this.#held !== null || this.#eofPending) {
      // Bytes (or an EOF) held back by an earlier pause go first; the socket resumes after them.
      this.#scheduleHeld()
      return
    }
    socket.resume()
  }

  #scheduleHeld (): void {
    if (this.#heldScheduled) return
    this.#heldScheduled = true
    setImmediate(() => {
      this.#heldScheduled = false
      if (!this.#wantRead()) return
      const held = this.#held
      this.#held = null
      if (held !== null) this.#deliverCopy(held)
      if (this.#eofPending && this.#held === null && this.#wantRead()) {
        this.#eofPending = false
        this.#onEnd()
      }
      if (this.#closePending && this.#held === null && !this.#eofPending) {
        this.#closePending = false
        this.#onClose()
        return
      }
      this.#updateReading()
    })
  }

  /** @internal the buffer Node reads into next (the onread bridge asks after every read) */
  _nextReadBuffer (): Uint8Array {
    const protocol = this.#protocol
    if (this.#buffered && protocol !== null && this.#wantRead() && this.#held === null) {
      let buf: Uint8Array
      try {
        buf = toProtocolBuffer(protocol.getBuffer!(-1))
      } catch (err) {
        this.#fatal(asError(err), 'getBuffer')
        return this.#ownBuffer()
      }
      if (buf.length === 0) {
        this.#fatal(new InvalidStateError('getBuffer() returned an empty buffer'), 'getBuffer')
        return this.#ownBuffer()
      }
      this.#protoBuf = buf
      this.#protoBufOwner = protocol
      return buf
    }
    this.#protoBuf = null
    return this.#lastLarge ? this.#ownBuffer() : sharedReadBuffer()
  }

  #ownBuffer (): Buffer {
    this.#readBuf ??= Buffer.allocUnsafeSlow(READ_BUFFER_SIZE)
    return this.#readBuf
  }

  /** @internal a read landed in `buf` (the onread callback) */
  _onRead (nread: number, buf: Uint8Array): boolean {
    if (this.#closing || this.#lost) return false
    const protocol = this.#protocol!
    if (buf === this.#protoBuf) {
      this.#protoBuf = null
      if (this.#buffered && protocol === this.#protoBufOwner) {
        try {
          protocol.bufferUpdated?.(nread)
        } catch (err) {
          this.#fatal(asError(err), 'bufferUpdated')
        }
        return true
      }
      // The buffer belongs to a protocol that was replaced meanwhile: hand over a copy.
      this.#deliverCopy(Buffer.from(buf.subarray(0, nread)))
      return true
    }
    // The read landed in the transport's own buffer.
    if (this.#buffered) {
      this.#feed(buf.subarray(0, nread), true)
      return true
    }
    let data: Buffer
    this.#lastLarge = nread > COPY_READ_MAX
    if (nread <= COPY_READ_MAX || buf === sharedBuf) {
      data = Buffer.allocUnsafe(nread)
      ;(buf as Buffer).copy(data, 0, 0, nread)
    } else {
      // A large read: hand the buffer itself over; the next read takes a fresh one.
      data = (buf as Buffer).subarray(0, nread)
      if (buf === this.#readBuf) this.#readBuf = null
    }
    try {
      protocol.dataReceived?.(data)
    } catch (err) {
      this.#fatal(asError(err), 'dataReceived')
    }
    return true
  }

  readonly #onChunk = (chunk: Buffer): void => {
    if (this.#closing || this.#lost) return
    if (this.#readPaused || this.#held !== null || !this.#made) {
      this.#hold(chunk) // Node allocated it for us: kept as is
      return
    }
    this.#deliverCopy(chunk)
  }

  readonly #onResume = (): void => {
    if (!this.#wantRead() || this.#held !== null) this.#socket.pause()
  }

  /** Delivers bytes the protocol may keep (a chunk Node allocated, or a copy). */
  #deliverCopy (data: Uint8Array): void {
    if (this.#buffered) {
      this.#feed(data, false)
      return
    }
    try {
      this.#protocol?.dataReceived?.(data)
    } catch (err) {
      this.#fatal(asError(err), 'dataReceived')
    }
  }

  /**
   * Copies `data` into the buffers a buffered protocol gives (asyncio's
   * `_feed_data_to_buffered_proto`). If the protocol pauses reading midway, the rest is held
   * and delivered in order on resume; if it is replaced by a stream protocol, the rest goes to
   * `dataReceived`. `transient` data (the transport's reusable buffer) is copied when kept.
   */
  #feed (data: Uint8Array, transient: boolean): void {
    let offset = 0
    while (offset < data.length) {
      if (this.#closing || this.#lost) return
      if (!this.#buffered) {
        const rest = data.subarray(offset)
        this.#deliverCopy(transient ? Buffer.from(rest) : rest)
        return
      }
      if (this.#readPaused) {
        const rest = data.subarray(offset)
        this.#hold(transient ? Buffer.from(rest) : rest)
        return
      }
      const protocol = this.#protocol!
      let buf: Uint8Array
      try {
        buf = toProtocolBuffer(protocol.getBuffer!(-1))
      } catch (err) {
        this.#fatal(asError(err), 'getBuffer')
        return
      }
      if (buf.length === 0) {
        this.#fatal(new InvalidStateError('getBuffer() returned an empty buffer'), 'getBuffer')
        return
      }
      const n = Math.min(buf.length, data.length - offset)
      buf.set(data.subarray(offset, offset + n))
      offset += n
      try {
        protocol.bufferUpdated?.(n)
      } catch (err) {
        this.#fatal(asError(err), 'bufferUpdated')
        return
      }
    }
  }

  /** Keeps bytes that arrived for a protocol that paused reading midway through them. */
  #hold (rest: Uint8Array): void {
    this.#held = this.#held === null ? rest : Buffer.concat([this.#held, rest])
    this.#socket.pause()
  }

  readonly #onEnd = (): void => {
    if (this.#closing || this.#lost || this.#detached) return
    if (this.#readPaused || this.#held !== null) {
      // Node may announce the end after a pause that came with the last chunk; asyncio would
      // not have read the EOF yet. Deliver it once reading resumes.
      this.#eofPending = true
      return
    }
    this.#eof = true
    let keepOpen: boolean | void
    try {
      keepOpen = this.#protocol?.eofReceived?.()
    } catch (err) {
      this.#fatal(asError(err), 'eofReceived')
      return
    }
    if (keepOpen && this.#eofAlwaysCloses && this.#eofKeepOpenWarning !== undefined) {
      process.emitWarning(this.#eofKeepOpenWarning, { code: 'WL_WARN_EOF_KEEP_OPEN' })
    }
    if (this.#eofAlwaysCloses || !keepOpen) this.close()
  }

  // ---------------------------------------------------------------- writing

  write (data: WriteData): void {
    const buf = toBuffer(data)
    this.#checkWritable()
    if (buf.length === 0) return
    if (this.#closing) {
      this.#dropped()
      return
    }
    this.#send(buf)
    if (!this.#flow.paused) this.#flow.maybePause(this.getWriteBufferSize())
  }

  writelines (chunks: Iterable<WriteData>): void {
    const bufs = toBuffers(chunks).filter((b) => b.length > 0)
    this.#checkWritable()
    if (bufs.length === 0) return
    if (this.#closing) {
      this.#dropped()
      return
    }
    if (this.#queue.length === 0 && this.#idle()) {
      this.#submit(bufs)
    } else {
      for (const buf of bufs) {
        this.#queue.push(buf)
        this.#queued += buf.length
      }
    }
    if (!this.#flow.paused) this.#flow.maybePause(this.getWriteBufferSize())
  }

  #checkWritable (): void {
    if (!this.#writable) throw new InvalidStateError(`${this.#name} is not writable`)
    if (this.#eofWritten) throw new WriteAfterEofError()
    if (this.#sendfile) throw new InvalidStateError('unable to write; sendfile is in progress')
  }

  #send (buf: Buffer): void {
    if (this.#queue.length === 0 && this.#idle()) {
      this.#writeOne(buf)
    } else {
      this.#queue.push(buf)
      this.#queued += buf.length
    }
  }

  #dropped (): void {
    if (++this.#droppedWrites === LOG_THRESHOLD_FOR_CONNLOST_WRITES) {
      process.emitWarning(`${this.#name}: write() after the transport was closed; the data is dropped`,
        { code: 'WL_WARN_WRITE_AFTER_CLOSE' })
    }
  }

  /** Nothing of ours is in flight at the socket. */
  #idle (): boolean {
    return this.#inFlight === 0 && this.#socket.writableLength === 0
  }

  /** Hands one buffer to the socket (only when nothing is in flight, so order is kept). */
  #writeOne (buf: Buffer): void {
    if (!this.#direct) {
      this.#socket.write(buf, this.#onWritten)
      return
    }
    this.#inFlight = buf.length
    this.#submitting = true
    try {
      (this.#socket as unknown as { _writeGeneric: DirectWriter })._writeGeneric(false, buf, 'buffer', this.#onDirectWritten)
    } finally {
      this.#submitting = false
    }
  }

  /**
   * A direct write completed: at once (inside `_writeGeneric`, when the kernel took it whole)
   * or later. A failed write destroys the socket with the error, as the Writable does, and
   * `connectionLost(err)` follows from its events.
   */
  readonly #onDirectWritten = (err?: Error | null): void => {
    this.#inFlight = 0
    if (err != null) {
      this.#socket.destroy(err)
      return
    }
    // Done at once: the code that submitted it carries on (the buffer is already accounted).
    if (this.#submitting) return
    this.#onWritten(null)
  }

  /** Called as each write completes (through the Writable: for a write done at once, on the next tick). */
  readonly #onWritten = (err?: Error | null): void => {
    if (err != null || this.#lost || this.#aborted) return
    if (this.#queue.length > 0 && this.#idle()) this.#submitQueue()
    if (this.#flow.paused) this.#flow.maybeResume(this.getWriteBufferSize())
    if (this.#drainWaiters.length > 0 && this.getWriteBufferSize() <= this.#flow.low) this.#wakeDrainWaiters(null)
    if (this.#queue.length === 0 && this.#idle()) this.#flushed()
  }

  #submitQueue (): void {
    const chunks = this.#queue
    this.#queue = []
    this.#queued = 0
    this.#submit(chunks)
  }

  /** Hands `chunks` to the socket: one write, or one vectored write for several. */
  #submit (chunks: Buffer[]): void {
    if (chunks.length === 1) {
      this.#writeOne(chunks[0]!)
      return
    }
    const socket = this.#socket
    socket.cork()
    const last = chunks.length - 1
    for (let i = 0; i < last; i++) socket.write(chunks[i]!)
    socket.write(chunks[last]!, this.#onWritten)
    socket.uncork()
  }

  #bufferEmpty (): boolean {
    return this.#queue.length === 0 && this.#idle()
  }

  /** Everything written so far is in the kernel: carry out a close or writeEof waiting for that. */
  #flushed (): void {
    if (this.#upgrade !== null) {
      this.#upgrade.resolve()
      return
    }
    if (this.#closing) {
      this.#finishClose()
    } else if (this.#eofWritten && !this.#endCalled) {
      this.#endCalled = true
      this.#socket.end()
    }
  }

  getWriteBufferSize (): number {
    if (this.#aborted || this.#lost) return 0
    const inFlight = this.#inFlight + this.#socket.writableLength
    if (inFlight === 0) return this.#queued
    if (this.#exactQueue) {
      const handle = (this.#socket as unknown as { _handle?: { writeQueueSize: number } | null })._handle
      if (handle != null && handle.writeQueueSize <= inFlight) return this.#queued + handle.writeQueueSize
    }
    return this.#queued + inFlight
  }

  getWriteBufferLimits (): [low: number, high: number] {
    return this.#flow.getLimits()
  }

  setWriteBufferLimits (limits?: WriteBufferLimits | null): void {
    this.#flow.setLimits(limits, this.getWriteBufferSize())
  }

  canWriteEof (): boolean {
    return this.#canWriteEof
  }

  writeEof (): void {
    if (this.#closing || this.#eofWritten) return
    if (!this.#canWriteEof) throw new UnsupportedError(`${this.#name} does not support writeEof()`)
    this.#eofWritten = true
    if (this.#writeEofCloses) {
      this.close()
      return
    }
    if (this.#bufferEmpty()) this.#flushed()
  }

  // ---------------------------------------------------------------- sendfile support

  /**
   * Starts a sendfile on this transport: `write()` throws until `end()`, flow-control
   * callbacks are kept from the protocol meanwhile (asyncio swaps in a protocol of its own),
   * and `write`/`drain` let the sender push chunks through the transport's write path.
   * Rejects a closing transport, as asyncio does.
   * @internal for `sendfile()`
   */
  _beginSendfile (): { write: (chunk: Buffer) => void, drain: () => Promise<void>, end: () => void } {
    if (this.#closing) throw new InvalidStateError('Transport is closing')
    this.#checkWritable()
    this.#sendfile = true
    const appPaused = this.#flow.paused
    return {
      write: (chunk) => {
        if (this.#closing) throw this.#lostError ?? new InvalidStateError('Transport is closing')
        this.#send(chunk)
        if (!this.#flow.paused) this.#flow.maybePause(this.getWriteBufferSize())
      },
      drain: () => this.#drain(),
      end: () => {
        this.#sendfile = false
        // the protocol saw a pause before the sendfile: finish the pair now that it is over
        if (appPaused && !this.#flow.paused && !this.#lost) {
          this.#flow.carryOver(true, this.#flow.getLimits())
          this.#flow.maybeResume(this.getWriteBufferSize())
        }
      },
    }
  }

  /** Resolves when the buffer is at or below the low-water mark (at once if not paused). */
  #drain (): Promise<void> {
    if (this.#closing) return Promise.reject(this.#lostError ?? new InvalidStateError('Transport is closing'))
    if (!this.#flow.paused) return Promise.resolve()
    return new Promise((resolve, reject) => {
      this.#drainWaiters.push((err) => { if (err === null) resolve(); else reject(err) })
    })
  }

  #wakeDrainWaiters (err: Error | null): void {
    const waiters = this.#drainWaiters
    this.#drainWaiters = []
    for (const w of waiters) w(err)
  }

  // ---------------------------------------------------------------- upgrade support

  /**
   * Begins an upgrade (startTls). At once: reading stops, nothing more reaches the protocol
   * through this transport, and further writes are dropped (`isClosing()` is true). Once
   * everything written before is flushed, the transport lets go of its socket and hands over
   * what the new transport needs. Bytes read but not delivered go back into the socket, so
   * the TLS layer sees them. Rejects if the connection is lost first (the protocol then gets
   * no further callback from this transport).
   * @internal for `startTls()`
   */
  async _beginUpgrade (): Promise<UpgradeState> {
    if (this.#closing) throw new InvalidStateError('Transport is closing')
    if (!this.#readable || !this.#writable) throw new InvalidStateError(`${this.#name} cannot be upgraded`)
    const protocol = this.#protocol!
    this.#closing = true
    this.#socket.pause()
    if (!this.#bufferEmpty()) {
      await new Promise<void>((resolve, reject) => { this.#upgrade = { resolve, reject } })
    }
    this.#upgrade = null
    const socket = this.#socket
    socket.off('error', this.#onError)
    socket.off('close', this.#onClose)
    socket.off('end', this.#onEnd)
    if (this.#bridge === null) {
      socket.off('data', this.#onChunk)
      socket.off('resume', this.#onResume)
    }
    if (this.#held !== null) socket.unshift(Buffer.from(this.#held.buffer, this.#held.byteOffset, this.#held.byteLength))
    this.#held = null
    this.#lost = true
    this.#detached = true
    this.#protocol = null
    this.#owner?._detach(this)
    return { socket, protocol, owner: this.#owner, flowState: { paused: this.#flow.paused, limits: this.#flow.getLimits() } }
  }

  /**
   * After an upgrade: resumes the protocol if it was paused and the new buffer is low enough.
   * @internal for `startTls()`
   */
  _checkResume (): void {
    if (this.#flow.paused && !this.#lost) this.#flow.maybeResume(this.getWriteBufferSize())
  }

  // ---------------------------------------------------------------- errors and the end

  #fatal (error: Error, callback: string): void {
    callExceptionHandler({
      message: `Fatal error: protocol.${callback}() call failed.`,
      exception: error,
      transport: this,
      protocol: this.#protocol,
    })
    this.#forceClose(error)
  }

  #forceClose (error: Error | null): void {
    if (this.#lost || this.#detached) return
    if (error !== null) this.#lostError ??= error
    this.#closing = true
    this.#aborted = true
    this.#queue = []
    this.#queued = 0
    this.#held = null
    this.#eofPending = false
    if (this.#settleClosePending()) return
    this.#socket.destroy()
  }

  /**
   * The socket closed while held bytes waited; the transport is being closed now, so the
   * loss it put off is due (never synchronously from close() or abort()). True if it was.
   */
  #settleClosePending (): boolean {
    if (!this.#closePending) return false
    this.#closePending = false
    setImmediate(this.#onClose)
    return true
  }

  #finishClose (): void {
    if (this.#finishing || this.#lost) return
    this.#finishing = true
    if (this.#settleClosePending()) return
    if (this.#closeMode === 'destroy') {
      this.#socket.destroy()
    } else {
      this.#socket.destroySoon()
    }
  }

  readonly #onReaderGone = (): void => {
    if (this.#closing || this.#lost) return
    if (this.#bufferEmpty()) {
      this.close()
    } else {
      this.#forceClose(Object.assign(new Error('write EPIPE: the reading end of the pipe went away'),
        { code: 'EPIPE', errno: -32, syscall: 'write' }))
    }
  }

  readonly #onError = (err: Error): void => {
    // A socket error ends the connection; connectionLost(err) follows from 'close'. Node
    // does not always destroy the socket itself (a TLS alert after the handshake), so do it.
    this.#lostError ??= err
    this.#closing = true
    this.#aborted = true
    this.#queue = []
    this.#queued = 0
    this.#socket.destroy()
  }

  readonly #onClose = (): void => {
    if (this.#lost) return
    if (!this.#closing && (this.#held !== null || this.#eofPending)) {
      // A pipe's reader can end (and Node close it) while the protocol has reading paused
      // with bytes or the EOF still held: they come first, on resume, then the loss.
      this.#closePending = true
      return
    }
    this.#lost = true
    this.#closing = true
    this.#queue = []
    this.#queued = 0
    this.#held = null
    if (this.#drainWaiters.length > 0) {
      this.#wakeDrainWaiters(this.#lostError ?? connectionLostError())
    }
    if (this.#upgrade !== null) {
      // The connection died while an upgrade waited for the flush: startTls rejects, and the
      // protocol, handed over to the upgrade, hears nothing more from this transport.
      this.#upgrade.reject(this.#lostError ?? connectionLostError())
      this.#upgrade = null
      this.#protocol = null
      this.#owner?._detach(this)
      return
    }
    const protocol = this.#protocol
    try {
      protocol?.connectionLost?.(this.#lostError)
    } catch (exception) {
      callExceptionHandler({ message: 'protocol.connectionLost() failed', exception, transport: this, protocol })
    } finally {
      this.#protocol = null
      this.#owner?._detach(this)
    }
  }
}

function ignore (): void {}

function connectionLostError (): Error {
  return Object.assign(new Error('Connection lost'), { code: 'ECONNRESET' })
}

