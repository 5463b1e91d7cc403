import type { ExtraInfo, Transport, WriteData } from '@wireline/core'
import { startTls } from './index.js'
import type { ClientSSL, ServerSSL } from './index.js' // type-only: erased
import { invalidArgType } from '@wireline/core/machinery'
import { checkOptions } from './stream-checks.js'
import type { StreamReader } from './stream-reader.js'
import { closeWaiter, drainHelper, isServerSide, replaceTransport } from './stream-reader-protocol.js'
import type { StreamReaderProtocol } from './stream-reader-protocol.js'
import { writableTo } from './web-streams.js'

/** Options of `writer.startTls()` (asyncio's keyword arguments). */
export interface StreamStartTlsOptions {
  /** Client side: the name to check the certificate against; defaults to the peer's host. */
  serverHostname?: string | null
  /** Milliseconds the handshake may take (default 60 000). */
  sslHandshakeTimeout?: number | null
}

const START_TLS_OPTIONS = ['serverHostname', 'sslHandshakeTimeout'] as const

/**
 * asyncio's `StreamWriter`: writes to a connection, with `drain()` as its flow control.
 * `openConnection` and `startServer` make it. Writing never blocks: `write()` buffers what
 * the kernel does not take at once; `await writer.drain()` after writing waits while that
 * buffer is above the transport's high-water mark.
 *
 * @see https://docs.python.org/3/library/asyncio-stream.html#streamwriter
 */
export class StreamWriter {
  #transport: Transport
  readonly #protocol: StreamReaderProtocol
  readonly #reader: StreamReader | null
  #writable: WritableStream<Uint8Array> | null = null

  constructor (transport: Transport, protocol: StreamReaderProtocol, reader: StreamReader | null) {
    this.#transport = transport
    this.#protocol = protocol
    this.#reader = reader
  }

  /** The transport under the writer (after `startTls()`, the TLS one). */
  get transport (): Transport {
    return this.#transport
  }

  /** Writes `data` (bytes, or a string as UTF-8) to the transport; see `drain()`. */
  write (data: WriteData): void {
    this.#transport.write(data)
  }

  /** Writes each chunk of `chunks`, in order. */
  writelines (chunks: Iterable<WriteData>): void {
    this.#transport.writelines(chunks)
  }

  /** Sends EOF after the buffered data; the connection stays open for reading. */
  writeEof (): void {
    this.#transport.writeEof()
  }

  /** Whether the transport can half-close (false for TLS). */
  canWriteEof (): boolean {
    return this.#transport.canWriteEof()
  }

  /** Closes the transport (after flushing what was written); see `waitClosed()`. */
  close (): void {
    this.#transport.close()
  }

  /** True once the transport is closing or closed. */
  isClosing (): boolean {
    return this.#transport.isClosing()
  }

  /** Resolves once the connection is closed; rejects with the error it ended with, if any. */
  waitClosed (): Promise<void> {
    return closeWaiter(this.#protocol)
  }

  /** The transport's extra info (`peername`, `sockname`, `socket`, `peercert`, `cipher`, ...). */
  getExtraInfo<K extends keyof ExtraInfo>(name: K): ExtraInfo[K] | undefined
  getExtraInfo<K extends keyof ExtraInfo, D>(name: K, defaultValue: D): ExtraInfo[K] | D
  getExtraInfo (name: string, defaultValue?: unknown): unknown
  getExtraInfo (name: string, defaultValue?: unknown): unknown {
    return this.#transport.getExtraInfo(name, defaultValue)
  }

  /**
   * Waits until it is appropriate to write again: resolves at once unless the transport
   * paused writing (its buffer went over the high-water mark), then once it resumed.
   * Rejects with the connection's error when it was lost with one, and with an `ECONNRESET`
   * error ("Connection lost") once it is lost.
   *
   * ```ts
   * writer.write(data)
   * await writer.drain()
   * ```
   */
  drain (): Promise<void> {
    const exc = this.#reader?.exception() ?? null
    if (exc !== null) return Promise.reject(exc)
    if (this.#transport.isClosing()) return this.#drainClosing()
    return drainHelper(this.#protocol)
  }

  /**
   * Upgrades the connection to TLS (the client side on a connection made by
   * `openConnection`, the server side on one accepted by `startServer`) after draining what
   * was written; the reader and writer carry on over it. `ssl` as in `startTls`.
   * @throws TypeError for a wrong `ssl` or option.
   */
  startTls (ssl: ClientSSL | ServerSSL, options?: StreamStartTlsOptions): Promise<void> {
    if (ssl !== true && (typeof ssl !== 'object' || ssl === null)) {
      throw invalidArgType(`ssl must be true or TLS options, got ${ssl === null ? 'null' : typeof ssl}`)
    }
    const o = checkOptions(options, START_TLS_OPTIONS, 'startTls()')
    return this.#startTls(ssl, o)
  }

  /**
   * Beyond asyncio: the writer as a Web `WritableStream` (made on first use, then the same
   * one). Each chunk is written, then `drain()`ed: that is its backpressure. Closing it sends
   * EOF where the transport can half-close (`writeEof()`; reading goes on), and closes the
   * transport otherwise (TLS); aborting it aborts the transport.
   */
  get writable (): WritableStream<Uint8Array> {
    this.#writable ??= writableTo(this)
    return this.#writable
  }

  async #drainClosing (): Promise<void> {
    // Let connectionLost run if it is about to (asyncio yields once here too).
    await new Promise<void>((resolve) => setImmediate(resolve))
    const exc = this.#reader?.exception() ?? null
    if (exc !== null) throw exc
    return drainHelper(this.#protocol)
  }

  async #startTls (ssl: ClientSSL | ServerSSL, options: StreamStartTlsOptions): Promise<void> {
    await this.drain()
    const transport = await startTls(this.#transport, this.#protocol, ssl, {
      ...options, serverSide: isServerSide(this.#protocol),
    })
    this.#transport = transport
    replaceTransport(this.#protocol, transport)
  }
}
