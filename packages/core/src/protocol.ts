import type { BaseTransport } from './transport.js'

/**
 * The callbacks every protocol may have. A transport calls them; each one is optional (a
 * plain object with some of these methods is a protocol too) and the defaults do nothing.
 *
 * Call order (asyncio `protocols.py`): `connectionMade` first, exactly once;
 * `connectionLost` last, exactly once; nothing after it. `pauseWriting` and `resumeWriting`
 * come in pairs between the two.
 *
 * @see https://docs.python.org/3/library/asyncio-protocol.html#base-protocol
 */
export class BaseProtocol {
  /**
   * Called when a connection is made, with the transport that represents it. The
   * promise of the call that made the connection resolves only after this returns. If it
   * throws, the connection is aborted and `connectionLost(thatError)` follows.
   */
  connectionMade (_transport: BaseTransport): void {}

  /**
   * Called once when the connection is lost or closed: `null` for a regular close (EOF,
   * `close()`, `abort()`), otherwise the error that ended it (Node's system errors keep
   * their `code`). Never called synchronously from inside `close()`, `abort()` or `write()`.
   */
  connectionLost (_exc: Error | null): void {}

  /**
   * Called synchronously, inside the `write()` / `writelines()` / `setWriteBufferLimits()`
   * that took the transport's write buffer strictly over its high-water mark. Stop writing
   * until `resumeWriting()`. If it throws, the error is reported and the connection goes on.
   */
  pauseWriting (): void {}

  /** Called once the buffer drained to the low-water mark or below, after a `pauseWriting()`. */
  resumeWriting (): void {}
}

/**
 * The shape of asyncio's stream `Protocol` as core's transports see it (the class itself is
 * `@wireline/stream`'s `Protocol`). Core needs only the method shapes.
 */
export interface StreamProtocolShape extends Partial<BaseProtocol> {
  /** Called with bytes that arrived (never empty). */
  dataReceived?(data: Uint8Array): void
  /** The peer's EOF: return a truthy value to keep the transport open for writing. */
  eofReceived?(): boolean | void
}

/**
 * The shape of asyncio's `BufferedProtocol` (the class is `@wireline/buffered`'s). A protocol
 * is driven in buffered mode when it has a `getBuffer` method, as asyncio decides on every
 * `setProtocol()`.
 */
export interface BufferedProtocolShape extends Partial<BaseProtocol> {
  /** Returns the (non-empty) buffer the transport reads into next; `-1`: any size. */
  getBuffer(sizeHint: number): Uint8Array
  /** The transport wrote `nbytes` bytes into the buffer `getBuffer` gave. */
  bufferUpdated?(nbytes: number): void
  /** The peer's EOF: return a truthy value to keep the transport open for writing. */
  eofReceived?(): boolean | void
}

/** Any object that can serve as a protocol: every callback is optional. */
export type AnyProtocol = Partial<BaseProtocol> & object

/** True when `protocol` reads in buffered mode (it has a `getBuffer` method). */
export function isBufferedProtocol (protocol: unknown): protocol is BufferedProtocolShape {
  return typeof protocol === 'object' && protocol !== null &&
    typeof (protocol as BufferedProtocolShape).getBuffer === 'function'
}

/** A function that makes a fresh protocol for each connection (asyncio's `protocol_factory`). */
export type ProtocolFactory<P> = () => P
