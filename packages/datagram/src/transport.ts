import type * as dgram from 'node:dgram'
import type { BaseProtocol, ExtraInfo, ReadTransport, WriteBufferLimits, WriteData } from '@wireline/core'

/** An IP address and port, `[host, port]` (IPv6 too, without flowinfo or scope id). */
export type DatagramAddress = [host: string, port: number]

/** The callbacks a datagram transport calls; every one is optional. */
export interface DatagramProtocolShape extends Partial<BaseProtocol> {
  /** Called with each datagram and the address it came from. */
  datagramReceived?(data: Uint8Array, addr: DatagramAddress): void
  /** Called when a send or a receive failed (an ICMP refusal: `ECONNREFUSED`). */
  errorReceived?(exc: Error): void
}

/** The extra-info keys of a datagram transport, with their types. */
export interface DatagramExtraInfo {
  /** The remote address of a connected endpoint (made with `remoteAddr`), else `null`. */
  peername: DatagramAddress | null
  /** The local address the socket is bound to. */
  sockname: DatagramAddress
  /** The Node `dgram.Socket` underneath. */
  socket: dgram.Socket
}

/**
 * A UDP endpoint (asyncio `DatagramTransport`), with asyncio's read pause and write flow
 * control on top of `node:dgram`.
 * @see https://docs.python.org/3/library/asyncio-protocol.html#datagram-transports
 */
export interface DatagramTransport extends ReadTransport {
  /**
   * Sends `data` (bytes, or a string sent as UTF-8; it may be empty: an empty datagram is
   * sent) to `addr`, `[host, port]`. On an endpoint made with `remoteAddr`, `addr` must be
   * omitted (or null) or equal to it; otherwise it is required. A wrong or missing address
   * throws at once (`TypeError` or `RangeError`, with Node's `code`) and the endpoint stays
   * open. After `close()` or `abort()` the datagram is dropped without an error. Errors of
   * the send itself (EMSGSIZE, ...) reach the protocol's `errorReceived`. The transport keeps
   * a reference to the bytes until the datagram is sent: do not mutate them meanwhile.
   */
  sendto(data: WriteData, addr?: DatagramAddress | null): void
  /**
   * Closes at once: queued datagrams are dropped and `connectionLost(null)` follows (never
   * synchronously). Idempotent.
   */
  abort(): void
  /**
   * Bytes queued for sending: each datagram the kernel could not take at once counts its
   * payload plus an 8-byte header estimate (`DATAGRAM_HEADER_SIZE`) until its send completes,
   * exactly. A datagram the kernel takes at once is never counted.
   */
  getWriteBufferSize(): number
  /** `[low, high]` (default `[16384, 65536]`). */
  getWriteBufferLimits(): [low: number, high: number]
  /**
   * Sets the high- and low-water marks of the send queue (see `WriteTransport`). May pause
   * the protocol at once; never resumes it.
   */
  setWriteBufferLimits(limits?: WriteBufferLimits | null): void

  getExtraInfo<K extends keyof DatagramExtraInfo>(name: K): DatagramExtraInfo[K] | undefined
  getExtraInfo<K extends keyof DatagramExtraInfo, D>(name: K, defaultValue: D): DatagramExtraInfo[K] | D
  getExtraInfo<K extends keyof ExtraInfo>(name: K): ExtraInfo[K] | undefined
  getExtraInfo<K extends keyof ExtraInfo, D>(name: K, defaultValue: D): ExtraInfo[K] | D
  getExtraInfo(name: string, defaultValue?: unknown): unknown
}

export type { WriteBufferLimits, WriteData }
