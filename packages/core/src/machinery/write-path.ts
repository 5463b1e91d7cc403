import * as net from 'node:net'
import { WriteFlowControl } from '../flow-control.js'
import type { AnyProtocol } from '../protocol.js'
import { paceWrittenMemory } from './collector-pacing.js'
import { LOG_THRESHOLD_FOR_CONNLOST_WRITES } from './limits.js'
import { transportOf } from './socket-transport.js'
import type { StreamTransport } from './stream-transport.js'

/** What the write path needs from its transport. */
export interface WriteHost {
  /** The protocol that gets `pauseWriting` / `resumeWriting` (it can change). */
  getProtocol(): AnyProtocol | null
  /** Everything written so far is in the kernel: a close or a `writeEof` waiting for it may go on. */
  writeFlushed(): void
}

/** A carried-over flow-control state: the protocol's pause and the limits (startTls). */
export interface FlowState {
  paused: boolean
  limits: [low: number, high: number]
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
    own.write === proto.write && own._write === proto._write && own._writeGeneric === proto._writeGeneric &&
    handleOwner(own._handle) === socket
}

/** A write request, as Node calls a write's callback with it (`this`) when the write completes. */
interface WriteRequest { handle?: object }

/** The symbol under which Node keeps a handle's socket (its `owner_symbol`), once found. */
let ownerSymbol: symbol | undefined

/**
 * The socket a libuv handle belongs to, as Node finds it when a write completes (the handle's
 * own `owner_symbol` property); undefined if the handle has none.
 */
function handleOwner (handle: unknown): unknown {
  if (typeof handle !== 'object' || handle === null) return undefined
  ownerSymbol ??= Object.getOwnPropertySymbols(handle).find((sym) => sym.description === 'owner_symbol')
  return ownerSymbol === undefined ? undefined : (handle as Record<symbol, unknown>)[ownerSymbol]
}

/** The write path whose `_writeGeneric` call runs (a write that fails in it calls back without a request). */
let submitting: WritePath | null = null

/**
 * The write side of a byte-stream transport (asyncio `_SelectorSocketTransport.write`, uvloop
 * `UVStream._write`), with its flow control.
 *
 * A write goes straight to the socket when nothing is in flight; otherwise it waits in a
 * queue of our own, sent as one vectored write when the one in flight completes. The buffer
 * size is exact: the queue plus what the kernel has not taken of the write in flight. Pause is
 * checked after every write, resume as writes complete. A single buffer goes to the handle
 * through `_writeGeneric` where `canWriteDirect` allows (Node's Writable costs about a tenth of
 * the CPU of a small echo: its state machine and a nextTick per write), else through
 * `socket.write()`.
 */
export class WritePath extends WriteFlowControl {
  readonly #socket: net.Socket
  readonly #host: WriteHost
  /** `DIRECT`, `SUBMITTING`, ...: the flags at the end of this file. */
  #state: number
  #unconfirmed = 0

  /** Buffers waiting for the write in flight; null when none (most of the time: no array per connection). */
  #queue: Buffer[] | null = null
  #queued = 0
  /** Bytes of the direct write in flight (0: none); the socket's `writableLength` counts the others. */
  #inFlight = 0
  #droppedWrites = 0
  /** Pending `drain()` calls; null until the first (most connections never call it). */
  #drainWaiters: Array<(err: Error | null) => void> | null = null
  /**
   * The completion callback of writes through `socket.write()` (`#writtenCallback()`); on a
   * direct path, made at its first vectored write (single writes complete in `#onDirectWritten`).
   */
  #onWritten: ((err?: Error | null) => void) | null = null

  /**
   * The write side of `socket`, whose flow control (it is its own `WriteFlowControl`, as
   * asyncio's transports are their own `_FlowControlMixin`) reports `transport`.
   */
  constructor (socket: net.Socket, host: WriteHost, transport: unknown, flowState: FlowState | null) {
    super(undefined, transport)
    this.#socket = socket
    this.#host = host
    if (flowState !== null) this.carryOver(flowState.paused, flowState.limits)
    // libuv's own stream handles (TCP, Pipe) tell how much of a write in flight is unsent;
    // others (TLS) do not, and then the whole write in flight counts.
    const handle = (socket as unknown as { _handle?: { writeQueueSize?: unknown, constructor?: { name?: string } } })._handle
    const kind = handle?.constructor?.name
    const exactQueue = typeof handle?.writeQueueSize === 'number' && (kind === 'TCP' || kind === 'Pipe')
    this.#state = (exactQueue ? EXACT_QUEUE : 0) | (canWriteDirect(socket, exactQueue) ? DIRECT : 0) |
      (socket instanceof net.Socket ? 0 : SELF_COUNTED)
  }

  #is (flag: number): boolean {
    return (this.#state & flag) !== 0
  }

  #set (flag: number, on: boolean): void {
    this.#state = on ? this.#state | flag : this.#state & ~flag
  }

  /** The protocol that gets `pauseWriting` / `resumeWriting`: none while a sendfile runs (the flow-control host). */
  flowProtocol (): AnyProtocol | null {
    return this.#is(SENDFILE) ? null : this.#host.getProtocol()
  }

  /** The stream is not a `net.Socket` and its writes are counted here (Bun's child stdin). */
  get selfCounted (): boolean { return this.#is(SELF_COUNTED) }

  /** True while a sendfile runs (then `write()` throws). */
  get sendfileRunning (): boolean { return this.#is(SENDFILE) }
  set sendfileRunning (running: boolean) { this.#set(SENDFILE, running) }

  /** Sends (or queues) one non-empty buffer, then pauses the protocol if that crossed the mark. */
  send (buf: Buffer): void {
    paceWrittenMemory(buf)
    if (this.#queue === null && this.#idle()) {
      this.#writeOne(buf)
    } else {
      (this.#queue ??= []).push(buf)
      this.#queued += buf.length
    }
    if (!this.paused) this.maybePause(this.size())
  }

  /** Sends non-empty buffers as one batch (one vectored write when nothing is in flight). */
  sendMany (bufs: Buffer[]): void {
    for (const buf of bufs) paceWrittenMemory(buf)
    if (this.#queue === null && this.#idle()) {
      this.#submit(bufs)
    } else {
      const queue = this.#queue ??= []
      for (const buf of bufs) {
        queue.push(buf)
        this.#queued += buf.length
      }
    }
    if (!this.paused) this.maybePause(this.size())
  }

  /** A write after close was dropped: warn once enough of them were (asyncio logs the same). */
  dropped (name: string): void {
    if (++this.#droppedWrites === LOG_THRESHOLD_FOR_CONNLOST_WRITES) {
      process.emitWarning(`${name}: write() after the transport was closed; the data is dropped`,
        { code: 'WL_WARN_WRITE_AFTER_CLOSE' })
    }
  }

  /** Nothing is buffered or in flight. */
  isEmpty (): boolean {
    return this.#queue === null && this.#idle()
  }

  /** Drops the buffer for good (abort, a socket error, the connection lost). */
  discard (): void {
    this.#set(DISCARDED, true)
    this.#queue = null
    this.#queued = 0
  }

  /** Bytes accepted and not yet handed to the kernel (asyncio `get_write_buffer_size()`). */
  size (): number {
    if (this.#is(DISCARDED)) return 0
    const inFlight = this.#inFlight + (this.#socket.writableLength ?? 0) + this.#unconfirmed
    if (inFlight === 0) return this.#queued
    if (this.#is(EXACT_QUEUE)) {
      const handle = (this.#socket as unknown as { _handle?: { writeQueueSize: number } | null })._handle
      if (handle != null && handle.writeQueueSize <= inFlight) return this.#queued + handle.writeQueueSize
    }
    return this.#queued + inFlight
  }

  /** Resolves when the buffer is at or below the low-water mark (at once if not paused). */
  drain (): Promise<void> {
    if (!this.paused) return Promise.resolve()
    return new Promise((resolve, reject) => {
      (this.#drainWaiters ??= []).push((err) => { if (err === null) resolve(); else reject(err) })
    })
  }

  /** Some `drain()` is pending (the error to fail it with is made only then: an `Error` per close adds up). */
  get hasDrainWaiters (): boolean { return this.#drainWaiters !== null }

  /** Rejects every pending `drain()` with `err` (the connection is gone). */
  failDrains (err: Error): void {
    if (this.#drainWaiters !== null) this.#wakeDrainWaiters(err)
  }

  #wakeDrainWaiters (err: Error | null): void {
    const waiters = this.#drainWaiters
    this.#drainWaiters = null
    for (const w of waiters ?? []) w(err)
  }

  #idle (): boolean {
    return this.#inFlight === 0 && (this.#socket.writableLength ?? 0) === 0 && this.#unconfirmed === 0
  }

  /** Hands one buffer to the socket (only when nothing is in flight, so order is kept). */
  #writeOne (buf: Buffer): void {
    if (!this.#is(DIRECT)) {
      this.#socket.write(buf, this.#is(SELF_COUNTED) ? this.#counted(buf.length) : this.#writtenCallback())
      return
    }
    this.#inFlight = buf.length
    this.#set(SUBMITTING, true)
    const outer = submitting
    submitting = this
    try {
      (this.#socket as unknown as { _writeGeneric: DirectWriter })._writeGeneric(false, buf, 'buffer', WritePath.#onDirectWritten)
    } finally {
      submitting = outer
      this.#set(SUBMITTING, false)
    }
  }

  #writtenCallback (): (err?: Error | null) => void {
    return (this.#onWritten ??= (err) => { this.#written(err, false) })
  }

  /**
   * The completion of every direct write, one function for all (a closure per connection adds
   * up at 10,000). Inside `_writeGeneric` (a write the kernel took whole, or one that failed
   * there, which calls back without a request) it is the path submitting; later, from libuv,
   * never inside another `_writeGeneric`, Node calls it with the write request as `this`, whose
   * handle leads to the socket and its transport, as Node finds the socket itself.
   */
  static readonly #onDirectWritten = function (this: WriteRequest | undefined, err?: Error | null): void {
    if (submitting !== null) {
      submitting.#written(err, true)
      return
    }
    const socket = handleOwner(this?.handle)
    ;(transportOf(socket as object) as StreamTransport).writer.#written(err, true)
  }

  /**
   * A write completed. A direct write completes at once (inside `_writeGeneric`, when the
   * kernel took it whole) or later; one through the socket's `write()` on a later tick. A
   * failed direct write destroys the socket with the error, as the Writable does for its own,
   * and `connectionLost(err)` follows from its events.
   */
  #written (err: Error | null | undefined, direct: boolean): void {
    // Only a direct write's completion ends the direct write in flight. One through the
    // socket's write() can complete after a direct write began: the Writable takes a write the
    // kernel took at once off its length at once, but calls back a tick later, and meanwhile
    // the path is idle and may write directly (soak seed 668: clearing the count here let a
    // close destroy the pipe under that write, and its bytes were lost).
    if (direct) this.#inFlight = 0
    if (err != null) {
      if (direct) this.#socket.destroy(err)
      return
    }
    // Done at once: the code that submitted it carries on (the buffer is already accounted).
    if (this.#is(SUBMITTING) || this.#is(DISCARDED)) return
    if (this.#queue !== null && this.#idle()) this.#submitQueue()
    if (this.paused) this.maybeResume(this.size())
    if (this.#drainWaiters !== null && this.size() <= this.low) this.#wakeDrainWaiters(null)
    if (this.#queue === null && this.#idle()) this.#host.writeFlushed()
  }

  #submitQueue (): void {
    const chunks = this.#queue!
    this.#queue = null
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
    let total = 0
    if (this.#is(SELF_COUNTED)) for (const chunk of chunks) total += chunk.length
    for (let i = 0; i < last; i++) socket.write(chunks[i]!)
    socket.write(chunks[last]!, this.#is(SELF_COUNTED) ? this.#counted(total) : this.#writtenCallback())
    socket.uncork()
  }

  /** A completion callback for `n` bytes counted in `#unconfirmed` until it comes. */
  #counted (n: number): (err?: Error | null) => void {
    this.#unconfirmed += n
    return (err) => {
      this.#unconfirmed -= n
      this.#written(err, false)
    }
  }
}

// The write path's state, one bit each in one field (memory per connection).
/** True when `handle.writeQueueSize` tells how much of the write in flight is still unsent. */
const EXACT_QUEUE = 1 << 0
/** Single writes go through `_writeGeneric` (see `canWriteDirect`). */
const DIRECT = 1 << 1
/**
 * The stream's `writableLength` does not count what it was given (Bun's child stdin is a
 * `WriteStream` that hands writes to the pipe itself and reports 0 until they complete):
 * count the bytes of the writes whose callback has not come yet.
 */
const SELF_COUNTED = 1 << 2
/** True while `_writeGeneric` runs: a write the kernel takes at once completes inside it. */
const SUBMITTING = 1 << 3
/** Aborted or lost: the buffer is gone and completions are ignored. */
const DISCARDED = 1 << 4
/** A sendfile is running: flow-control callbacks are kept from the protocol. */
const SENDFILE = 1 << 5
