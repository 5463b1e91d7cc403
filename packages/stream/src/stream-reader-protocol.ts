import { callExceptionHandler } from '@wireline/core'
import type { Transport } from '@wireline/core'
import { Protocol } from './protocol.js'
import { StreamReader, replaceReaderTransport } from './stream-reader.js'
import { StreamWriter } from './stream-writer.js'

/**
 * What `startServer` calls for each connection, with its reader and writer. It may return a
 * promise; if it throws or the promise rejects, the error is reported to the exception
 * handler and the connection is closed.
 */
export type ClientConnected = (reader: StreamReader, writer: StreamWriter) => unknown

/** `drain()`'s wait on the protocol's flow control. @internal */
export let drainHelper: (protocol: StreamReaderProtocol) => Promise<void>
/** The promise `waitClosed()` returns. @internal */
export let closeWaiter: (protocol: StreamReaderProtocol) => Promise<void>
/** True for a server's protocol (made with a `clientConnected`): `startTls` is then the server side. @internal */
export let isServerSide: (protocol: StreamReaderProtocol) => boolean
/** After `startTls`: the new transport, for the protocol and its reader. @internal */
export let replaceTransport: (protocol: StreamReaderProtocol, transport: Transport) => void

const RESOLVED = Promise.resolve()

/**
 * asyncio's `StreamReaderProtocol`: the `Protocol` between a transport and a `StreamReader`
 * (and, through its flow control, a `StreamWriter`'s `drain()`). Received bytes go to the
 * reader; the peer's EOF ends the reader but keeps the connection open for writing (not over
 * TLS, which cannot half-close); the connection's end ends the reader, with the error if
 * there was one.
 *
 * With a `clientConnected` callback (servers), `connectionMade` makes the connection's
 * `StreamWriter` and calls `clientConnected(reader, writer)`.
 *
 * @see https://github.com/python/cpython/blob/3.13/Lib/asyncio/streams.py
 */
export class StreamReaderProtocol extends Protocol {
  #reader: StreamReader | null
  readonly #clientConnected: ClientConnected | null
  #overSsl = false
  readonly #closed: Promise<void>
  #settleClosed: ((exc: Error | null) => void) | null
  // Flow control (asyncio's FlowControlMixin): drain() waits while writing is paused.
  #paused = false
  #lost = false
  #drainWaiters: Array<{ resolve: () => void, reject: (err: Error) => void }> = []

  static {
    drainHelper = (p) => p.#drainHelper()
    closeWaiter = (p) => p.#closed
    isServerSide = (p) => p.#clientConnected !== null
    replaceTransport = (p, transport) => {
      p.#overSsl = transport.getExtraInfo('sslcontext') != null
      if (p.#reader !== null) replaceReaderTransport(p.#reader, transport)
    }
  }

  constructor (reader: StreamReader, clientConnected: ClientConnected | null = null) {
    super()
    this.#reader = reader
    this.#clientConnected = clientConnected
    let settle!: (exc: Error | null) => void
    this.#closed = new Promise<void>((resolve, reject) => {
      settle = (exc) => { if (exc === null) resolve(); else reject(exc) }
    })
    this.#closed.catch(() => {}) // an error nobody waits for is not an unhandled rejection
    this.#settleClosed = settle
  }

  override connectionMade (transport: Transport): void {
    this.#overSsl = transport.getExtraInfo('sslcontext') != null
    const reader = this.#reader
    if (reader === null) return
    reader.setTransport(transport)
    const cb = this.#clientConnected
    if (cb === null) return
    const writer = new StreamWriter(transport, this, reader)
    const failed = (err: unknown): void => {
      callExceptionHandler({ message: 'Unhandled exception in clientConnected', exception: err, transport, protocol: this })
      transport.close()
    }
    let result: unknown
    try {
      result = cb(reader, writer)
    } catch (err) {
      failed(err)
      return
    }
    if (typeof (result as PromiseLike<unknown> | null)?.then === 'function') {
      (result as PromiseLike<unknown>).then(undefined, failed)
    }
  }

  override connectionLost (exc: Error | null): void {
    const reader = this.#reader
    if (reader !== null) {
      if (exc === null) reader.feedEof()
      else reader.setException(exc)
    }
    this.#settleClosed?.(exc)
    this.#settleClosed = null
    this.#lost = true
    const waiters = this.#drainWaiters
    this.#drainWaiters = []
    for (const w of waiters) {
      if (exc === null) w.resolve()
      else w.reject(exc)
    }
    this.#reader = null
  }

  override dataReceived (data: Uint8Array): void {
    this.#reader?.feedData(data)
  }

  override eofReceived (): boolean {
    this.#reader?.feedEof()
    // TLS cannot half-close: let the transport close. Otherwise stay open for writing.
    return !this.#overSsl
  }

  override pauseWriting (): void {
    this.#paused = true
  }

  override resumeWriting (): void {
    this.#paused = false
    const waiters = this.#drainWaiters
    this.#drainWaiters = []
    for (const w of waiters) w.resolve()
  }

  #drainHelper (): Promise<void> {
    if (this.#lost) return Promise.reject(Object.assign(new Error('Connection lost'), { code: 'ECONNRESET' }))
    if (!this.#paused) return RESOLVED
    return new Promise<void>((resolve, reject) => { this.#drainWaiters.push({ resolve, reject }) })
  }
}
