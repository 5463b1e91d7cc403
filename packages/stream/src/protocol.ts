import { BaseProtocol } from '@wireline/core'
import type { StreamProtocolShape } from '@wireline/core'

/**
 * asyncio's streaming `Protocol`: the callbacks of a byte-stream connection (TCP, Unix
 * sockets, TLS, pipes). Extend it, or pass any object with some of these methods.
 *
 * Call order: `connectionMade  dataReceived*  eofReceived?  connectionLost`.
 * @see https://docs.python.org/3/library/asyncio-protocol.html#streaming-protocols
 */
export class Protocol extends BaseProtocol {
  /**
   * Called with bytes received, never empty. The protocol may keep `data`: it is its own.
   * How the stream is cut into calls is not defined. If it throws, the connection is aborted
   * and `connectionLost(thatError)` follows.
   */
  dataReceived (_data: Uint8Array): void {}

  /**
   * Called once when the peer sends EOF (half-closes). Return a truthy value to keep the
   * transport open for writing (you then close it); a falsy one (the default) closes it.
   * TLS connections and read pipes close whatever this returns.
   */
  eofReceived (): boolean | void {
    return undefined
  }
}

/** Any object usable as a stream protocol: every callback is optional. */
export type StreamProtocol = StreamProtocolShape & object
