import type * as net from 'node:net'
import { SSL_SHUTDOWN_TIMEOUT } from './limits.js'

/**
 * What differs between the kinds of byte-stream transport, declared in one place. Every kind
 * runs the same `StreamTransport`; a kind only says which sides it has and how its ends
 * behave (asyncio keeps the same differences in `_SelectorSocketTransport`,
 * `_SSLProtocolTransport`, `_UnixReadPipeTransport` and `_UnixWritePipeTransport`).
 */
export interface TransportKind {
  /** Class-like name for messages and `toString()` (asyncio's and uvloop's class names). */
  readonly name: string
  /** The transport reads (false for a write pipe). */
  readonly readable: boolean
  /** The transport writes (false for a read pipe). */
  readonly writable: boolean
  /** What `canWriteEof()` answers. */
  readonly canWriteEof: boolean
  /** The peer's EOF closes the transport whatever `eofReceived` returns (TLS, read pipes). */
  readonly eofAlwaysCloses: boolean
  /** Emitted once when `eofReceived` returns true but the EOF closes all the same. */
  readonly eofKeepOpenWarning?: string
  /** `writeEof()` is the close (a write pipe has no half-close: EOF means closing it). */
  readonly writeEofCloses: boolean
  /**
   * How the socket ends once a `close()` has flushed: `end` sends FIN and closes once the
   * kernel has everything; `shutdown` sends close_notify and FIN and waits for the peer's own
   * (TLS: the TLS layer reports its writes done before the socket underneath has sent them,
   * and closing then would lose them; asyncio waits for close_notify the same way, up to
   * `SSL_SHUTDOWN_TIMEOUT`); `destroy` closes at once (a pipe's end).
   */
  readonly closeMode: 'end' | 'shutdown' | 'destroy'
  /** Can be upgraded in place by `startTls` (both sides, a socket underneath). */
  readonly upgradable: boolean
  /**
   * A buffered protocol's `getBuffer` is asked once bytes are there, never ahead of the next
   * read (TLS: the bytes come decrypted out of memory of Node's own, as asyncio's TLS
   * transport asks once it has decrypted bytes).
   */
  readonly getBufferOnArrival: boolean
}

/** The warning when `eofReceived` returns true on TLS (asyncio logs the same). */
export const TLS_EOF_WARNING = 'returning true from eofReceived() has no effect when using ssl'

const socketKind = {
  readable: true, writable: true, canWriteEof: true, eofAlwaysCloses: false, writeEofCloses: false, closeMode: 'end', upgradable: true,
  getBufferOnArrival: false,
} as const

/** A TCP connection: half-close both ways. */
export const TCP: TransportKind = { name: 'TCPTransport', ...socketKind }

/** A Unix-socket connection: as TCP. */
export const UNIX: TransportKind = { name: 'UnixTransport', ...socketKind }

/**
 * A TLS connection (over TCP, Unix, or TLS itself): TLS has no half-close, so there is no
 * `writeEof()` and the peer's EOF (close_notify) always closes.
 */
export const TLS: TransportKind = {
  ...socketKind, name: 'TLSTransport', canWriteEof: false, eofAlwaysCloses: true, eofKeepOpenWarning: TLS_EOF_WARNING,
  closeMode: 'shutdown', getBufferOnArrival: true,
}

/**
 * The read end of a pipe (asyncio `_UnixReadPipeTransport`): read side only; at EOF,
 * `eofReceived()` and then `connectionLost(null)`, whatever `eofReceived` returned.
 */
export const READ_PIPE: TransportKind = {
  name: 'ReadPipeTransport', readable: true, writable: false, canWriteEof: false, eofAlwaysCloses: true,
  writeEofCloses: false, closeMode: 'destroy', upgradable: false, getBufferOnArrival: false,
}

/**
 * The write end of a pipe (asyncio `_UnixWritePipeTransport`): write side and flow control
 * only; `writeEof()` flushes and closes the pipe, as `close()` does.
 */
export const WRITE_PIPE: TransportKind = {
  name: 'WritePipeTransport', readable: false, writable: true, canWriteEof: true, eofAlwaysCloses: false,
  writeEofCloses: true, closeMode: 'destroy', upgradable: false, getBufferOnArrival: false,
}

/** Ends `socket` after a flushed `close()`, as `kind.closeMode` says. */
export function endSocket (socket: net.Socket, kind: TransportKind): void {
  switch (kind.closeMode) {
    case 'destroy':
      socket.destroy()
      break
    case 'end':
      socket.destroySoon()
      break
    case 'shutdown': {
      // The read path keeps reading (and dropping) while closing, so the peer's end is seen.
      const timer = setTimeout(() => socket.destroy(), SSL_SHUTDOWN_TIMEOUT).unref()
      socket.once('end', () => socket.destroy())
      socket.once('close', () => clearTimeout(timer))
      socket.end()
    }
  }
}
