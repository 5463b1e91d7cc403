/**
 * An HTTP/1.1 server as a stream `Protocol`: one protocol instance per connection, the
 * parser (`parser.ts`) fed by `dataReceived`, the responses written by `ResponseWriter`
 * (`response.ts`).
 *
 * What it teaches about transports:
 *
 * - Keep-alive and pipelining are just a loop over the bytes: a client may send several
 *   requests before reading any response, and they are answered in order. Requests are
 *   handled one at a time: while a response is unfinished (a handler that answers later),
 *   the parser is paused, and the requests behind it wait, unparsed, in its buffer.
 * - Flow control couples the two directions of one connection: when the transport's write
 *   buffer goes over the high-water mark (`pauseWriting`), the protocol stops reading
 *   (`transport.pauseReading()`) and stops parsing what it already has; `resumeWriting`
 *   undoes both. A client that uploads 64 MiB to `/echo` but reads the echo slowly, or
 *   pipelines a thousand requests without reading, holds the server to one read's worth of
 *   memory.
 * - Half-close: a client may send its last request and then its FIN (`eofReceived`). The
 *   protocol returns true (keep the transport open for writing) while it still has requests
 *   to answer, and closes once they are answered.
 * - A peer's bytes never throw out of `dataReceived`: malformed input gets its 4xx response
 *   with `Connection: close`, and the connection is closed after it.
 */
import { Protocol, createServer, type Server, type Transport } from '@wireline/stream'
import { HttpError, RequestParser, type ParserLimits, type RequestHead } from './parser.js'
import { ResponseWriter, STATUS_TEXT } from './response.js'

/** What receives a request's body; both optional (a body nobody reads is discarded). */
export interface BodySink {
  data?: (chunk: Uint8Array) => void
  end?: () => void
}

/**
 * The application: called with each request's head and its response; it may answer at once
 * (`res.send(...)`), stream its answer, or return a sink for the request body. The response
 * must be ended (`res.end()` or `send`) sooner or later; the next request waits for it.
 */
export type RequestHandler = (req: RequestHead, res: ResponseWriter) => BodySink | void

export class HttpProtocol extends Protocol {
  transport!: Transport
  readonly parser: RequestParser
  #res: ResponseWriter | null = null
  #sink: BodySink | void = undefined
  /** The request's body has been read whole. */
  #requestDone = false
  #writingPaused = false
  /** The parser waits for an unfinished response. */
  #held = false
  #peerEof = false
  #closed = false

  constructor (readonly handler: RequestHandler, limits?: ParserLimits) {
    super()
    this.parser = new RequestParser({
      onHead: (head) => this.#onHead(head),
      onBody: (chunk) => { if (this.#sink) this.#sink.data?.(chunk) },
      onEnd: () => this.#onEnd(),
    }, limits)
  }

  override connectionMade (transport: Transport): void {
    this.transport = transport
  }

  override dataReceived (data: Uint8Array): void {
    this.#guard(() => this.parser.feed(data as Buffer))
  }

  override eofReceived (): boolean {
    this.#peerEof = true
    // keep the write side open while requests are still being answered: one in progress, or
    // whole ones held back while writing is paused (an incomplete one will never complete)
    if (this.#res !== null || (this.#writingPaused && this.parser.buffered > 0)) return true
    this.#closed = true
    return false
  }

  override pauseWriting (): void {
    this.#writingPaused = true
    this.transport.pauseReading()
    this.parser.pause()
  }

  override resumeWriting (): void {
    this.#writingPaused = false
    this.transport.resumeReading()
    // a response still in progress keeps the parser paused (see #onEnd)
    if (!this.#held) this.#guard(() => this.parser.resume())
    this.#maybeFinish()
  }

  override connectionLost (): void {
    this.#closed = true
    this.parser.close()
  }

  #onHead (head: RequestHead): void {
    this.#requestDone = false
    const res = new ResponseWriter(this.transport, {
      minor: head.minor,
      keepAlive: head.keepAlive,
      headOnly: head.method === 'HEAD',
      onFinish: (r) => this.#onFinish(r),
    })
    this.#res = res
    if (head.expectContinue) this.transport.write('HTTP/1.1 100 Continue\r\n\r\n')
    this.#sink = this.handler(head, res)
  }

  #onEnd (): void {
    this.#requestDone = true
    const res = this.#res
    if (this.#sink) this.#sink.end?.()
    if (res === null || this.#res !== res) return
    if (res.finished) {
      this.#res = null
    } else {
      // still answering: hold the requests behind this one until it is done
      this.#held = true
      this.parser.pause()
    }
  }

  /** The response ended (the handler called `end()`): go on with the next request, or close. */
  #onFinish (res: ResponseWriter): void {
    if (this.#res !== res) return
    if (!res.keepAlive) {
      // the response said Connection: close; whatever the client sent after it is dropped
      this.#res = null
      this.#close()
      return
    }
    // answered before the body was read whole (a 404 to a POST): the rest of it is dropped,
    // and #onEnd moves on to the next request
    if (!this.#requestDone) {
      this.#sink = undefined
      return
    }
    this.#res = null
    if (this.#held) {
      this.#held = false
      if (!this.#writingPaused) this.#guard(() => this.parser.resume())
      this.#maybeFinish()
    }
  }

  /** After the peer's EOF, close once nothing is left to answer. */
  #maybeFinish (): void {
    if (this.#peerEof && this.#res === null && !this.#writingPaused) this.#close()
  }

  #close (): void {
    if (this.#closed) return
    this.#closed = true
    this.parser.close()
    this.transport.close()
  }

  /** Runs `fn`; malformed input is answered with its status, anything else with 500. */
  #guard (fn: () => void): void {
    try {
      fn()
    } catch (err) {
      if (this.#closed) return
      const status = err instanceof HttpError ? err.status : 500
      const res = this.#res
      if (res !== null && res.headSent && !res.finished) {
        // too late for an error response: the client sees the connection end early
        this.#closed = true
        this.parser.close()
        this.transport.abort()
        return
      }
      this.parser.close()
      const reason = err instanceof Error ? err.message : String(err)
      this.transport.write(`HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Bad Request'}\r\n` +
        `Content-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(reason) + 1}\r\nConnection: close\r\n\r\n${reason}\n`)
      this.#close()
    }
  }
}

/** `createServer` for an HTTP handler: one `HttpProtocol` per connection. */
export function createHttpServer (handler: RequestHandler, host: string, port: number, limits?: ParserLimits): Promise<Server> {
  return createServer(() => new HttpProtocol(handler, limits), host, port, { backlog: 511 })
}
