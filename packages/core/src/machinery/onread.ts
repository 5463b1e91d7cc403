import * as net from 'node:net'
import { READ_BUFFER_SIZE } from './limits.js'

/** Where the reads of a socket that reads through `ONREAD` go (a transport's read path). */
export interface ReadSink {
  /** The memory Node reads into next. */
  nextReadBuffer(): Uint8Array
  /** `nread` bytes landed in `buf`. Returns true to keep reading. */
  onRead(nread: number, buf: Uint8Array): boolean
}

/** The read sink of a socket, kept on the socket itself (no closure or bridge per connection). */
const kReadSink = Symbol('wireline.readSink')

interface SinkHolder { [kReadSink]?: ReadSink }

let sharedBuf: Buffer | null = null

/**
 * The read buffer every socket of the process shares for reads that are copied out (uvloop
 * keeps one per loop): a read is copied before the callback returns, and no other read can
 * land in between, since all run one at a time on this thread. Shared, it stays in the cache,
 * and a connection that only sees small reads holds no read buffer of its own.
 */
export function sharedReadBuffer (): Buffer {
  sharedBuf ??= Buffer.allocUnsafeSlow(READ_BUFFER_SIZE)
  return sharedBuf
}

/** True when `buf` is the shared read buffer. */
export function isSharedReadBuffer (buf: Uint8Array): boolean {
  return buf === sharedBuf
}

/**
 * The sink whose read just ended, for the buffer request that follows it. Node asks for the
 * next buffer (`onread.buffer()`, called without a receiver) right after each `callback`
 * returned, for the same socket; the callback leaves its sink here for that request. Node's
 * other request, when a socket gets its handle, comes with nothing left here: it gets the
 * shared buffer, as a socket does before a transport is bound to it.
 */
let readEnded: ReadSink | null = null

function nextBuffer (): Uint8Array {
  const sink = readEnded
  readEnded = null
  return sink === null ? sharedReadBuffer() : sink.nextReadBuffer()
}

/** The sink bound to a socket that just read. */
function sinkOf (holder: SinkHolder): ReadSink {
  const sink = holder[kReadSink]
  // Reading starts after 'connect', once a transport is bound; never lose data silently.
  if (sink === undefined) throw new Error('read before a transport was bound to the socket')
  return sink
}

function onRead (this: SinkHolder, nread: number, buf: Uint8Array): boolean {
  const sink = sinkOf(this)
  const keepReading = sink.onRead(nread, buf)
  readEnded = sink
  return keepReading
}

/**
 * The `onread` option of `net.connect()` / `new net.Socket()` for a socket a transport will
 * read: one object for every socket of the process. Reads land in memory the bound sink
 * chooses (see `bindReadSink()`), and go to it.
 */
const ONREAD: OnreadOption = Object.freeze({ buffer: nextBuffer, callback: onRead as OnreadOption['callback'] })

/** An `onread` option for `net.connect()` / `new net.Socket()`. */
export interface OnreadOption {
  /** The memory Node reads into next. */
  buffer: () => Uint8Array
  /** `nread` bytes arrived in `buf`. */
  callback: (this: unknown, nread: number, buf: Uint8Array) => boolean
}

/**
 * The `onread` option for one socket about to be made, and `attach` to call with the socket
 * once made. Where the runtime calls the callback with the socket as `this` (Node), that is
 * the shared `ONREAD` and `attach` does nothing; elsewhere (Bun) an option of the socket's
 * own, which `attach` ties to it.
 */
export function onreadOption (): { option: OnreadOption, attach: (socket: net.Socket) => void } {
  if (!('Bun' in globalThis)) return { option: ONREAD, attach: noAttach }
  let holder: SinkHolder = {}
  return {
    option: {
      buffer: () => holder[kReadSink]?.nextReadBuffer() ?? sharedReadBuffer(),
      callback: (nread, buf) => sinkOf(holder).onRead(nread, buf),
    },
    attach: (socket) => { holder = socket as unknown as SinkHolder },
  }
}

function noAttach (): void {}

/**
 * Binds `sink` to `socket`: the reads of a socket created with `ONREAD` (or adopted) go to
 * it from now on, and `readSinkOf(socket)` finds it (listeners shared by every socket use it).
 */
export function bindReadSink (socket: net.Socket, sink: ReadSink): void {
  (socket as unknown as SinkHolder)[kReadSink] = sink
}

/** The sink bound to `socket`, if any. */
export function readSinkOf (socket: net.Socket): ReadSink | undefined {
  return (socket as unknown as SinkHolder)[kReadSink]
}

/** The fields of a `net.Socket` that hold its `onread` option (Node's own, found by name). */
interface OnreadFields { buffer: symbol, callback: symbol, generator: symbol }

let onreadFields: OnreadFields | null | undefined

function findOnreadFields (socket: net.Socket): OnreadFields | null {
  const byName = new Map(Object.getOwnPropertySymbols(socket).map((s) => [s.description, s]))
  const buffer = byName.get('kBuffer')
  const callback = byName.get('kBufferCb')
  const generator = byName.get('kBufferGen')
  return buffer !== undefined && callback !== undefined && generator !== undefined ? { buffer, callback, generator } : null
}

/**
 * Gives a socket Node created without the `onread` option (one a `net.Server` accepted, a
 * `TLSSocket` over a connected socket) the option `ONREAD` after all, in place: the fields
 * `new net.Socket({ onread })` would have set, and the handle told to read into the first
 * buffer, as Node does when a socket gets its handle. Undocumented fields, hence checked
 * first: a socket of exactly `prototype` (a plain `net.Socket` by default) whose three onread
 * fields exist and are unset, over a handle that can read into user memory, nothing read yet.
 * Returns false (the socket untouched) where the check fails: the socket then reads through
 * `'data'` events, the documented way.
 */
export function adoptOnread (socket: net.Socket, prototype: object = net.Socket.prototype): boolean {
  const handle = (socket as unknown as { _handle?: Record<string, unknown> | null })._handle
  if (handle == null || socket.destroyed || socket.readableLength !== 0 ||
    Object.getPrototypeOf(socket) !== prototype ||
    typeof handle.useUserBuffer !== 'function' || typeof handle.readStart !== 'function' ||
    typeof handle.readStop !== 'function') return false
  onreadFields ??= findOnreadFields(socket)
  const fields = onreadFields
  if (fields === null) return false
  const own = socket as unknown as Record<symbol, unknown>
  if (own[fields.buffer] !== null || own[fields.callback] !== null || own[fields.generator] !== null) return false
  const first = sharedReadBuffer()
  own[fields.generator] = nextBuffer
  own[fields.callback] = onRead
  own[fields.buffer] = first
  ;(handle.useUserBuffer as (buf: Uint8Array) => void).call(handle, first)
  return true
}
