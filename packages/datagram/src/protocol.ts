import { BaseProtocol } from '@wireline/core'
import type { DatagramAddress, DatagramTransport } from './transport.js'

/**
 * asyncio's `DatagramProtocol`: the callbacks of a UDP endpoint. Extend it, or pass any
 * object with some of these methods.
 *
 * Call order: `connectionMade  (datagramReceived | errorReceived)*  connectionLost`, with
 * `pauseWriting` / `resumeWriting` pairs in between.
 * @see https://docs.python.org/3/library/asyncio-protocol.html#datagram-protocols
 */
export class DatagramProtocol extends BaseProtocol {
  /**
   * Called when the endpoint is ready, before `createDatagramEndpoint` resolves, with the
   * transport to send through. If it throws, the error is reported, the endpoint is closed
   * (`connectionLost(thatError)` follows) and `createDatagramEndpoint` rejects with it.
   */
  override connectionMade (_transport: DatagramTransport): void {}

  /**
   * Called with each datagram received (it may be empty) and the sender's address as
   * `[host, port]`. The protocol may keep `data`: it is its own. If it throws, the error is
   * reported to the exception handler and the endpoint goes on receiving.
   */
  datagramReceived (_data: Uint8Array, _addr: DatagramAddress): void {}

  /**
   * Called when a previous send or receive failed: Node's system error, `code` intact
   * (ECONNREFUSED when a connected endpoint's peer answered with ICMP port unreachable,
   * EMSGSIZE for a datagram too large to send, ...). The endpoint stays open. If it throws,
   * the error is reported to the exception handler and the endpoint goes on.
   */
  errorReceived (_exc: Error): void {}
}
