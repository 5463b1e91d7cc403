import type * as net from 'node:net'
import { InvalidStateError, UnsupportedError, WriteAfterEofError } from '../errors.js'
import { callExceptionHandler } from '../exception-handler.js'
import { publishConnectionLost, publishConnectionMade } from '../instrumentation.js'
import type { AnyProtocol } from '../protocol.js'
import { kTransport } from '../transport.js'
import type { Transport, WriteBufferLimits, WriteData } from '../transport.js'
import { asError, checkProtocol } from './args.js'
import { toBuffer, toBuffers } from './bytes.js'
import { TcpAddresses } from './socket-addresses.js'
import { connectionLostError, systemError, upgradeAbortedError } from './system-errors.js'
import { WritePathSession } from './handover.js'
import type { SendfileSession, UpgradeState } from './handover.js'
import { ReadPath } from './read-path.js'
import { bindTransport, transportOf } from './socket-transport.js'
import type { ReadingProtocol } from './read-path.js'
import { endSocket } from './transport-kinds.js'
import type { TransportKind } from './transport-kinds.js'
import { WritePath } from './write-path.js'
import type { FlowState } from './write-path.js'
import type { StreamTransportOptions, TransportOwner } from './transport-options.js'

/**
 * The byte-stream transport every family shares (asyncio `_SelectorSocketTransport` and the
 * pipe transports, uvloop `UVStream`): a Node socket underneath, asyncio's semantics on top.
 * This class is the state machine and the lifecycle; the write side is `WritePath`, the read
 * side `ReadPath`, and what differs per kind (TCP, Unix, TLS, read pipe, write pipe) is the
 * `TransportKind` it is made with.
 *
 * close / abort / writeEof / EOF / fatal errors are asyncio's; `connectionLost` comes from the
 * socket's `'close'` event, so never synchronously and exactly once.
 */
export class StreamTransport implements Transport {
  readonly #socket: net.Socket
  readonly #kind: TransportKind
  #extra: Readonly<Record<string, unknown>> | TcpAddresses
  readonly #owner: TransportOwner | null
  readonly #reader: ReadPath | null
  readonly #writer: WritePath
  /** `CLOSING`, `LOST`, ...: the flags at the end of this file. */
  #state: number
  #protocol: AnyProtocol | null
  #lostError: Error | null = null
  #upgrade: { resolve: () => void, reject: (err: Error) => void } | null = null
  /** While a startTls is pending: what gives it up (a close, an abort, its signal). */
  #cancelUpgrade: ((err: Error) => void) | null = null

  constructor (options: StreamTransportOptions) {
    const socket = options.socket
    const kind = options.kind
    this.#socket = socket
    this.#kind = kind
    this.#protocol = options.protocol
    this.#owner = options.owner ?? null
    this.#extra = options.extra ?? NO_EXTRA
    this.#state = options.instrument === false ? 0 : INSTRUMENTED
    this.#writer = new WritePath(socket, this, this, options.flowState ?? null)
    // The socket's listeners are functions every transport shares; they find this one
    // through the socket (a closure per listener and connection adds up at 10,000).
    bindTransport(socket, this)
    socket.on('error', StreamTransport.#onSocketError)
    socket.on('close', StreamTransport.#onSocketClose)
    this.#reader = kind.readable ? new ReadPath(socket, this, options.onread ?? false) : null
    if (!kind.readable && options.watchReader === true) {
      socket.on('end', () => { this.#onReaderGone() }) // write pipes only: not a field every transport carries
      socket.on('data', ignore)
    }
    this.#owner?.attach(this)
  }

  get [kTransport] (): true { return true }

  #is (flag: number): boolean {
    return (this.#state & flag) !== 0
  }

  #set (flag: number, on: boolean): void {
    this.#state = on ? this.#state | flag : this.#state & ~flag
  }

  /** @internal what differs per kind (the read path asks what an EOF does) */
  get kind (): TransportKind { return this.#kind }

  /** @internal the write side (its direct writes' completions find it through the socket) */
  get writer (): WritePath { return this.#writer }

  /** The socket underneath, for family code. */
  get socket (): net.Socket { return this.#socket }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Calls the protocol's `connectionMade(this)` (unless `callProtocol` is false: a transport
   * that takes over a connection, as after startTls), then starts reading unless the protocol
   * paused it. Returns the error `connectionMade` threw (the transport is then being aborted
   * and `connectionLost(thatError)` follows), or `null`.
   */
  start ({ callProtocol = true }: { callProtocol?: boolean } = {}): Error | null {
    const protocol = this.#protocol
    try {
      if (callProtocol) protocol?.connectionMade?.(this)
    } catch (err) {
      const error = asError(err)
      this.fatal(error, 'connectionMade')
      return error
    }
    if (callProtocol && this.#is(INSTRUMENTED)) publishConnectionMade(this, protocol)
    this.#reader?.start()
    return null
  }

  close (): void {
    if (this.#cancelUpgrade !== null) {
      this.cancelUpgrade(upgradeAbortedError())
      return
    }
    if (this.#is(CLOSING)) return
    this.#set(CLOSING, true)
    this.#reader?.discardInput()
    if (this.#writer.isEmpty()) this.#finishClose()
  }

  abort (): void {
    if (this.#cancelUpgrade !== null) {
      this.cancelUpgrade(upgradeAbortedError())
      return
    }
    this.#forceClose(null)
  }

  isClosing (): boolean {
    return this.#is(CLOSING)
  }

  getExtraInfo (name: string, defaultValue?: unknown): any {
    if (name === 'socket') return this.#socket
    // A TCP transport's addresses become extra info when first asked for (see `TcpAddresses`).
    if (this.#extra instanceof TcpAddresses) this.#extra = this.#extra.toExtra()
    const value = (this.#extra as Readonly<Record<string, unknown>>)[name]
    return value === undefined ? defaultValue : value
  }

  setProtocol (protocol: AnyProtocol): void {
    checkProtocol(protocol)
    this.#protocol = protocol
    this.#reader?.protocolChanged(protocol)
  }

  getProtocol (): AnyProtocol | null {
    return this.#protocol
  }

  toString (): string {
    const state = this.#is(LOST) ? 'closed' : this.#is(CLOSING) ? 'closing' : 'open'
    return `<${this.#kind.name} ${state}>`
  }

  // ---------------------------------------------------------------- reading

  isReading (): boolean {
    return this.#reader !== null && this.#reader.isReading()
  }

  pauseReading (): void {
    this.#readSide('pauseReading').pause()
  }

  resumeReading (): void {
    this.#readSide('resumeReading').resume()
  }

  #readSide (method: string): ReadPath {
    // asyncio: a write pipe has no pause_reading/resume_reading (NotImplementedError)
    if (this.#reader === null) throw new UnsupportedError(`${this.#kind.name} has no read side: ${method}() is not supported`)
    return this.#reader
  }

  // ---------------------------------------------------------------- writing

  write (data: WriteData): void {
    const buf = toBuffer(data)
    this.#checkWritable()
    if (buf.length === 0) return
    if (this.#is(CLOSING)) {
      this.#writer.dropped(this.#kind.name)
      return
    }
    this.#writer.send(buf)
  }

  writelines (chunks: Iterable<WriteData>): void {
    const bufs = toBuffers(chunks).filter((b) => b.length > 0)
    this.#checkWritable()
    if (bufs.length === 0) return
    if (this.#is(CLOSING)) {
      this.#writer.dropped(this.#kind.name)
      return
    }
    this.#writer.sendMany(bufs)
  }

  #checkWritable (): void {
    if (!this.#kind.writable) throw new InvalidStateError(`${this.#kind.name} is not writable`)
    if (this.#is(EOF_WRITTEN)) throw new WriteAfterEofError()
    if (this.#writer.sendfileRunning) throw new InvalidStateError('unable to write; sendfile is in progress')
  }

  getWriteBufferSize (): number {
    return this.#writer.size()
  }

  getWriteBufferLimits (): [low: number, high: number] {
    return this.#writer.getLimits()
  }

  setWriteBufferLimits (limits?: WriteBufferLimits | null): void {
    this.#writer.setLimits(limits, this.#writer.size())
  }

  canWriteEof (): boolean {
    return this.#kind.canWriteEof
  }

  writeEof (): void {
    if (this.#is(CLOSING) || this.#is(EOF_WRITTEN)) return
    if (!this.#kind.canWriteEof) throw new UnsupportedError(`${this.#kind.name} does not support writeEof()`)
    this.#set(EOF_WRITTEN, true)
    if (this.#kind.writeEofCloses) {
      this.close()
      return
    }
    if (this.#writer.isEmpty()) this.writeFlushed()
  }

  /** @internal the write path: everything written so far is in the kernel */
  writeFlushed (): void {
    if (this.#upgrade !== null) {
      this.#upgrade.resolve()
      return
    }
    if (this.#is(CLOSING)) {
      this.#finishClose()
    } else if (this.#is(EOF_WRITTEN) && !this.#is(END_CALLED)) {
      this.#set(END_CALLED, true)
      this.#socket.end()
    }
  }

  // ---------------------------------------------------------------- hand-over: sendfile and startTls

  /**
   * Starts a sendfile on this transport: `write()` throws until the session ends,
   * flow-control callbacks are kept from the protocol meanwhile (asyncio swaps in a protocol
   * of its own), and the session pushes chunks through the write path. Throws on a closing
   * transport, as asyncio does.
   */
  beginSendfile (): SendfileSession {
    if (this.#is(CLOSING)) throw new InvalidStateError('Transport is closing')
    this.#checkWritable()
    return new WritePathSession(this.#writer, () => this.#closedError(), () => this.#is(LOST))
  }

  /**
   * Null while open; once closing, the error a pending sendfile fails with: the connection's
   * error, EPIPE when the peer's EOF closed it (nothing more can reach the peer), else a
   * state error (the application closed it).
   */
  #closedError (): Error | null {
    if (!this.#is(CLOSING)) return null
    if (this.#lostError !== null) return this.#lostError
    if (this.#is(CLOSED_BY_PEER)) return systemError('EPIPE', 'write', 'the peer closed the connection')
    return new InvalidStateError('Transport is closing')
  }

  /** @internal the read path: the peer's EOF closes the transport */
  closeAfterEof (): void {
    if (!this.#is(CLOSING)) this.#set(CLOSED_BY_PEER, true)
    this.close()
  }

  /**
   * Begins an upgrade (startTls). At once: reading stops, nothing more reaches the protocol
   * through this transport, and further writes are dropped (`isClosing()` is true). Once
   * everything written before is flushed, the transport lets go of its socket and hands over
   * what the new transport needs. Bytes read but not delivered go back into the socket, so
   * the TLS layer sees them.
   *
   * Until `endUpgrade()`, `close()`, `abort()` and `cancelUpgrade(err)` give the upgrade up:
   * before the hand-over this transport closes its socket, `connectionLost(err)` follows and
   * this rejects with `err`; after it, `onCancel(err)` is called (the upgrade closes the
   * socket and ends the protocol). A connection lost before the hand-over rejects too, after
   * `connectionLost`.
   */
  async beginUpgrade (onCancel: (err: Error) => void): Promise<UpgradeState> {
    if (this.#is(CLOSING)) throw new InvalidStateError('Transport is closing')
    if (!this.#kind.upgradable) throw new InvalidStateError(`${this.#kind.name} cannot be upgraded`)
    const protocol = this.#protocol!
    this.#set(CLOSING, true)
    this.#socket.pause()
    this.#cancelUpgrade = (err) => {
      this.#cancelUpgrade = null
      this.#lostError ??= err
      this.#socket.destroy()
    }
    if (!this.#writer.isEmpty()) {
      await new Promise<void>((resolve, reject) => { this.#upgrade = { resolve, reject } })
    }
    this.#upgrade = null
    const socket = this.#socket
    // Given up while the flush ended (the socket destroyed under it): no hand-over; the
    // socket's 'close' brings connectionLost(thatError).
    if (socket.destroyed) throw this.#lostError ?? connectionLostError()
    socket.off('error', StreamTransport.#onSocketError)
    socket.off('close', StreamTransport.#onSocketClose)
    this.#reader?.detach()
    const flowState: FlowState = { paused: this.#writer.paused, limits: this.#writer.getLimits() }
    this.#writer.discard()
    this.#set(LOST, true)
    this.#set(DETACHED, true)
    this.#protocol = null
    this.#owner?.detach(this)
    this.#cancelUpgrade = onCancel
    return { socket, protocol, owner: this.#owner, flowState }
  }

  /** Gives a pending upgrade up with `err` (see `beginUpgrade()`); a no-op when none is pending. */
  cancelUpgrade (err: Error): void {
    this.#cancelUpgrade?.(err)
  }

  /** The upgrade is over (done or failed): `close()` and `abort()` no longer reach it. */
  endUpgrade (): void {
    this.#cancelUpgrade = null
  }

  /** After an upgrade: resumes the protocol if it was paused and the new buffer is low enough. */
  resumeAfterUpgrade (): void {
    if (this.#writer.paused && !this.#is(CLOSING)) this.#writer.maybeResume(this.#writer.size())
  }

  // ---------------------------------------------------------------- errors and the end

  /** @internal a protocol callback threw: report it, abort, and `connectionLost(error)` follows */
  fatal (error: Error, callback: string): void {
    callExceptionHandler({
      message: `Fatal error: protocol.${callback}() call failed.`,
      exception: error,
      transport: this,
      protocol: this.#protocol,
    })
    this.#forceClose(error)
  }

  #forceClose (error: Error | null): void {
    if (this.#is(LOST) || this.#is(DETACHED)) return
    if (error !== null) this.#lostError ??= error
    this.#set(CLOSING, true)
    this.#writer.discard()
    this.#reader?.dropHeld()
    if (this.#reader?.settleDeferredClose() === true) return
    this.#destroy()
  }

  #destroy (): void {
    this.#socket.destroy()
    // Bun's child stdio (streams, not sockets) hold 'close' back until a write in flight ends
    // or the child closes its end, which a child that does not read never does: the
    // transport is done all the same.
    if (this.#writer.selfCounted) setImmediate(() => { this.#onClose() })
  }

  #finishClose (): void {
    if (this.#is(FINISHING) || this.#is(LOST)) return
    this.#set(FINISHING, true)
    if (this.#reader?.settleDeferredClose() === true) return
    endSocket(this.#socket, this.#kind)
    // Bun's child stdio: see #destroy
    if (this.#kind.closeMode === 'destroy' && this.#writer.selfCounted) setImmediate(() => { this.#onClose() })
  }

  #onReaderGone (): void {
    if (this.#is(CLOSING) || this.#is(LOST)) return
    if (this.#writer.isEmpty()) {
      this.close()
    } else {
      this.#forceClose(systemError('EPIPE', 'write', 'the reading end of the pipe went away'))
    }
  }

  static readonly #onSocketError = function (this: net.Socket, err: Error): void {
    transportOf(this)!.#onError(err)
  }

  static readonly #onSocketClose = function (this: net.Socket): void {
    transportOf(this)!.#onClose()
  }

  #onError (err: Error): void {
    // A socket error ends the connection; connectionLost(err) follows from 'close'. Node
    // does not always destroy the socket itself (a TLS alert after the handshake), so do it.
    this.#lostError ??= err
    this.#set(CLOSING, true)
    this.#writer.discard()
    this.#socket.destroy()
  }

  /** @internal the read path: input held at the socket's close is delivered, the loss is due */
  connectionEnded (): void {
    this.#onClose()
  }

  #onClose (): void {
    if (this.#is(LOST)) return
    if (!this.#is(CLOSING) && this.#reader?.holdsInput() === true) {
      // A pipe's reader can end (and Node close it) while the protocol has reading paused
      // with bytes or the EOF still held: they come first, on resume, then the loss.
      this.#reader.deferClose()
      return
    }
    this.#set(LOST, true)
    this.#set(CLOSING, true)
    this.#writer.discard()
    this.#reader?.dropHeld()
    if (this.#writer.hasDrainWaiters) this.#writer.failDrains(this.#lostError ?? connectionLostError())
    this.#cancelUpgrade = null
    if (this.#upgrade !== null) {
      // The connection ended while an upgrade waited for the flush: startTls rejects with the
      // error the protocol's connectionLost gets.
      this.#lostError ??= connectionLostError()
      this.#upgrade.reject(this.#lostError)
      this.#upgrade = null
    }
    const protocol = this.#protocol as ReadingProtocol | null
    try {
      protocol?.connectionLost?.(this.#lostError)
    } catch (exception) {
      callExceptionHandler({ message: 'protocol.connectionLost() failed', exception, transport: this, protocol })
    } finally {
      this.#protocol = null
      this.#owner?.detach(this)
    }
    if (this.#is(INSTRUMENTED)) publishConnectionLost(this, protocol, this.#lostError)
  }
}

function ignore (): void {}

const NO_EXTRA: Readonly<Record<string, unknown>> = Object.freeze({})


// The transport's state, one bit each in one field (eight fields add up at 10,000 connections).
/** Publishes its life on wireline's diagnostics channels (not a child's internal pipes). */
const INSTRUMENTED = 1 << 0
const CLOSING = 1 << 1
const FINISHING = 1 << 2
const LOST = 1 << 3
/** Handed over to another transport (startTls): this one is done, without a `connectionLost`. */
const DETACHED = 1 << 4
const EOF_WRITTEN = 1 << 5
const END_CALLED = 1 << 6
/** The peer's EOF closed the transport (not the application). */
const CLOSED_BY_PEER = 1 << 7
