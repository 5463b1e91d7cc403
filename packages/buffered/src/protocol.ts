import { BaseProtocol } from '@wireline/core'

/**
 * asyncio's `BufferedProtocol`: the transport reads straight into memory the protocol owns.
 * `getBuffer(sizeHint)` hands the transport a buffer to fill; `bufferUpdated(nbytes)` says
 * how many bytes were written into it (1 <= nbytes <= its length). For protocols that
 * receive a lot of data (database drivers, proxies, file transfer): no allocation and no
 * copy per chunk on the zero-copy paths (see the package README).
 *
 * Call order: `connectionMade  (getBuffer bufferUpdated?)*  eofReceived?  connectionLost`.
 * A `getBuffer` may come without a `bufferUpdated` after it (the transport asks for the next
 * buffer ahead of the next read, which may be an EOF).
 * @see https://docs.python.org/3/library/asyncio-protocol.html#buffered-streaming-protocols
 */
export class BufferedProtocol extends BaseProtocol {
  /**
   * Returns the buffer the next read goes into: any non-empty `Uint8Array` (or other
   * `ArrayBufferView`). `sizeHint` is -1, "any size", as asyncio gives on sockets. Returning
   * an empty buffer, or throwing, is fatal: the connection is aborted and
   * `connectionLost(thatError)` follows.
   */
  getBuffer (_sizeHint: number): Uint8Array {
    throw new Error('BufferedProtocol subclasses must implement getBuffer()')
  }

  /**
   * Called when `nbytes` bytes were written at the start of the buffer the last `getBuffer`
   * returned. If it throws, the connection is aborted and `connectionLost(thatError)` follows.
   */
  bufferUpdated (_nbytes: number): void {}

  /**
   * Called once when the peer sends EOF. Return a truthy value to keep the transport open
   * for writing; a falsy one (the default) closes it. TLS closes whatever this returns.
   */
  eofReceived (): boolean | void {
    return undefined
  }
}
