import { READ_BUFFER_SIZE } from './limits.js'

/** Where the reads of a socket created with the `onread` option go (a transport's read path). */
export interface ReadSink {
  /** The memory Node reads into next. */
  nextReadBuffer(): Uint8Array
  /** `nread` bytes landed in `buf`. Returns true to keep reading. */
  onRead(nread: number, buf: Uint8Array): boolean
}

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
 * The bridge between a socket created with Node's `onread` option and the transport that will
 * own it. The socket needs its `onread` option when it is created, before the connection is
 * made and therefore before the protocol and transport exist; the bridge is that option, and
 * reads go to the transport once it binds the bridge.
 */
export class OnreadBridge {
  #sink: ReadSink | null = null

  /** Pass this as the `onread` option of `net.connect()` / `new net.Socket()`. */
  readonly onread = {
    /** The memory Node reads into next: the bound transport's, else a shared scratch buffer. */
    buffer: (): Uint8Array => {
      const sink = this.#sink
      return sink !== null ? sink.nextReadBuffer() : sharedReadBuffer()
    },
    /** `nread` bytes arrived in `buf`: hands them to the bound transport. */
    callback: (nread: number, buf: Uint8Array): boolean => {
      const sink = this.#sink
      // Reading starts after 'connect', once a transport is bound; never lose data silently.
      if (sink === null) throw new Error('read before a transport was bound to the onread bridge')
      return sink.onRead(nread, buf)
    },
  }

  /** Sends the socket's reads to `sink` from now on (the transport's read path binds itself). */
  bind (sink: ReadSink): void {
    this.#sink = sink
  }
}
