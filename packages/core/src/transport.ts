import type * as net from 'node:net'
import type * as tls from 'node:tls'
import type { ChildProcess } from 'node:child_process'
import type { AnyProtocol } from './protocol.js'

/** An IP address as `[host, port]` (IPv6 too), or a Unix socket's path. */
export type Address = [host: string, port: number] | string

/** The extra-info keys wireline transports answer (asyncio's names), with their types. */
export interface ExtraInfo {
  /** The remote address: `[host, port]`, or for Unix sockets a path (`''` on the accepting side). */
  peername: Address
  /** The local address: `[host, port]`, or for Unix sockets a path (`''` on the connecting side). */
  sockname: Address
  /** The Node socket (`net.Socket`, a `tls.TLSSocket` for TLS). */
  socket: net.Socket
  /** TLS: the peer's certificate, as `tls.TLSSocket#getPeerCertificate()` gives it. */
  peercert: tls.PeerCertificate | tls.DetailedPeerCertificate | null
  /** TLS: `[name, protocolVersion, bits]` of the negotiated cipher (asyncio's tuple). */
  cipher: [name: string, version: string, bits: number | null] | null
  /** TLS: the `tls.SecureContext` in use. */
  sslcontext: tls.SecureContext | null
  /** TLS: the `tls.TLSSocket` itself. */
  ssl_object: tls.TLSSocket
  /** Pipes: the Node socket over the pipe's file descriptor. */
  pipe: net.Socket
  /** Subprocess: the `ChildProcess`. */
  subprocess: ChildProcess
}

/** `Symbol.for` brand carried by every wireline transport (works across copies of core). */
export const kTransport: unique symbol = Symbol.for('wireline.transport') as never

/** True when `value` is a wireline transport (from any copy of `@wireline/core`). */
export function isTransport (value: unknown): value is BaseTransport {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[kTransport] === true
}

/**
 * The base of every transport (asyncio `BaseTransport`).
 * @see https://docs.python.org/3/library/asyncio-protocol.html#base-transport
 */
export interface BaseTransport {
  /**
   * Closes the transport: reading stops at once, buffered writes are flushed, then the
   * protocol's `connectionLost(null)` is called (never synchronously). Idempotent.
   */
  close(): void
  /** True from `close()` / `abort()` on, and once the connection is lost. */
  isClosing(): boolean
  /** Extra information about the transport (asyncio's keys, typed); `undefined` if unknown. */
  getExtraInfo<K extends keyof ExtraInfo>(name: K): ExtraInfo[K] | undefined
  /** Extra information about the transport; a key it does not know gives `defaultValue`. */
  getExtraInfo<K extends keyof ExtraInfo, D>(name: K, defaultValue: D): ExtraInfo[K] | D
  /** Extra information under any other key (a family's own): `defaultValue` if unknown. */
  getExtraInfo(name: string, defaultValue?: unknown): unknown
  /** Sets the protocol that receives the callbacks from now on. */
  setProtocol(protocol: AnyProtocol): void
  /** The current protocol (`null` once the connection is lost, as in asyncio). */
  getProtocol(): AnyProtocol | null
}

/** A transport that receives (asyncio `ReadTransport`). */
export interface ReadTransport extends BaseTransport {
  /** True while the transport delivers received data (false when paused, closing, or after EOF). */
  isReading(): boolean
  /** Stops delivery until `resumeReading()`. Idempotent; a no-op on a closing transport. */
  pauseReading(): void
  /** Resumes delivery; what arrived meanwhile comes in order. Idempotent; no-op when closing. */
  resumeReading(): void
}

/** Bytes a transport accepts: any `ArrayBufferView`, an `ArrayBuffer`, or a string (sent as UTF-8). */
export type WriteData = ArrayBufferView | ArrayBuffer | string

/** Options of `setWriteBufferLimits`: a missing, `undefined` or `null` limit counts as not given. */
export interface WriteBufferLimits {
  high?: number | null
  low?: number | null
}

/** A transport that sends (asyncio `WriteTransport`), with write flow control. */
export interface WriteTransport extends BaseTransport {
  /**
   * Queues `data` for sending. Throws `TypeError` for anything but bytes or a string, and
   * `WriteAfterEofError` after `writeEof()`. Empty data is a no-op; after `close()`,
   * `abort()` or a lost connection the data is dropped. The transport keeps a reference to
   * the bytes: do not mutate them afterwards.
   */
  write(data: WriteData): void
  /** Writes every chunk of `chunks` (any iterable), as `write()` would, in one batch. */
  writelines(chunks: Iterable<WriteData>): void
  /** Flushes buffered data, then half-closes the write side (FIN). Idempotent; no-op after close. */
  writeEof(): void
  /** Whether `writeEof()` is supported (false for TLS). */
  canWriteEof(): boolean
  /** Closes at once, dropping buffered data; `connectionLost(null)` follows. */
  abort(): void
  /** Bytes accepted by `write()` and not yet handed to the kernel. */
  getWriteBufferSize(): number
  /** `[low, high]`. */
  getWriteBufferLimits(): [low: number, high: number]
  /**
   * Sets the high- and low-water marks. Neither given: the defaults (64 KiB / 16 KiB); only
   * `low`: high = 4 × low; only `high`: low = floor(high / 4). Throws `RangeError` for a
   * negative value or low > high, keeping the old limits. May pause the protocol at once.
   */
  setWriteBufferLimits(limits?: WriteBufferLimits | null): void
}

/** A bidirectional transport (asyncio `Transport`). */
export interface Transport extends ReadTransport, WriteTransport {}
