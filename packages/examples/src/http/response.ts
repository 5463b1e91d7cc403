/**
 * Writing an HTTP/1.1 response through a stream transport.
 *
 * A response is a head (status line and header fields) and a body framed one of three ways:
 * by `Content-Length`, as `Transfer-Encoding: chunked` pieces, or (HTTP/1.0 only) by closing
 * the connection. `ResponseWriter` picks the framing from what the handler says it knows,
 * writes the head with the first bytes of the body where it can (one `write`, so a small
 * response is one TCP segment), and frames each later `write()`.
 *
 * It never buffers: every call goes straight to `transport.write()`, whose buffer the
 * transport bounds with flow control. A handler that produces a large body watches
 * `pauseWriting`/`resumeWriting` through the server (see `server.ts`, which stops reading the
 * connection while the transport is paused); the echo route produces its body only as fast
 * as the request body arrives, so pausing the reading side is all it needs.
 */
import type { Transport } from '@wireline/stream'

export const STATUS_TEXT: Record<number, string> = {
  100: 'Continue', 200: 'OK', 204: 'No Content', 400: 'Bad Request', 404: 'Not Found',
  405: 'Method Not Allowed', 413: 'Content Too Large', 417: 'Expectation Failed',
  431: 'Request Header Fields Too Large', 500: 'Internal Server Error', 501: 'Not Implemented',
  505: 'HTTP Version Not Supported',
}

let dateSecond = -1
let dateValue = ''
/** The `Date` header value, formatted at most once a second. */
export function httpDate (): string {
  const now = Date.now()
  const second = Math.floor(now / 1000)
  if (second !== dateSecond) {
    dateSecond = second
    dateValue = new Date(now).toUTCString()
  }
  return dateValue
}

/** One header field list: name/value pairs, values as strings or numbers. */
export type Headers = Array<[string, string | number]>

/** What the server needs to know of a response in progress. */
export interface ResponseOptions {
  /** `HTTP/1.<minor>` of the request: 1.0 clients get no chunked framing. */
  minor: 0 | 1
  /** Whether the connection may stay open afterwards (the request's say). */
  keepAlive: boolean
  /** HEAD requests: the head is written, the body is not. */
  headOnly: boolean
  /** Called once, when `end()` completed the response. */
  onFinish: (res: ResponseWriter) => void
}

export class ResponseWriter {
  #headSent = false
  #finished = false
  #chunked = false
  /** Body bytes still owed under `Content-Length` (-1: not length-framed). */
  #owed = -1
  /** False once the response says `Connection: close` (asked for, or forced by framing). */
  keepAlive: boolean

  constructor (readonly transport: Transport, readonly options: ResponseOptions) {
    this.keepAlive = options.keepAlive
  }

  get headSent (): boolean { return this.#headSent }
  get finished (): boolean { return this.#finished }

  /**
   * Writes the head. With `contentLength` the body is length-framed; without it, chunked for
   * HTTP/1.1 and close-delimited for HTTP/1.0. `first` is written with the head, in the same
   * `write()`.
   */
  writeHead (status: number, headers: Headers = [], contentLength?: number, first?: Uint8Array): void {
    const head = this.#head(status, headers, contentLength)
    if (first === undefined || first.byteLength === 0 || this.#owed === 0 || this.options.headOnly) {
      this.transport.write(head)
      return
    }
    this.#count(first.byteLength)
    const parts = this.#chunked ? [head, ...frame(first)] : [head, first]
    // a small response goes out as one buffer: one write, one segment
    if (first.byteLength <= 16 * 1024) this.transport.write(Buffer.concat(parts.map(toBytes)))
    else this.transport.writelines(parts)
  }

  /** The head as text, deciding the body's framing. */
  #head (status: number, headers: Headers, contentLength: number | undefined): string {
    if (this.#headSent) throw new Error('the response head was already written')
    this.#headSent = true
    const bodyless = status === 204 || status === 304 || status < 200
    let head = `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Unknown'}\r\nDate: ${httpDate()}\r\n`
    for (const [name, value] of headers) head += `${name}: ${value}\r\n`
    if (bodyless) {
      this.#owed = 0
    } else if (contentLength !== undefined) {
      head += `Content-Length: ${contentLength}\r\n`
      this.#owed = contentLength
    } else if (this.options.minor === 1) {
      head += 'Transfer-Encoding: chunked\r\n'
      this.#chunked = true
    } else {
      this.keepAlive = false // HTTP/1.0: the body ends where the connection does
    }
    if (!this.keepAlive) head += 'Connection: close\r\n'
    else if (this.options.minor === 0) head += 'Connection: keep-alive\r\n'
    return head + '\r\n'
  }

  /** Writes a piece of the body, framed as the head said. */
  write (chunk: Uint8Array): void {
    if (!this.#headSent) throw new Error('write() before writeHead()')
    if (this.#finished) throw new Error('write() after end()')
    if (chunk.byteLength === 0 || this.options.headOnly) return
    this.#count(chunk.byteLength)
    if (this.#chunked) this.transport.writelines(frame(chunk))
    else this.transport.write(chunk)
  }

  /** Ends the response: the last chunk when chunked; a short length-framed body is an error. */
  end (): void {
    if (this.#finished) return
    if (!this.#headSent) this.writeHead(200, [], 0)
    if (this.#owed > 0 && !this.options.headOnly) {
      throw new Error(`end() with ${this.#owed} bytes of the announced Content-Length unsent`)
    }
    if (this.#chunked && !this.options.headOnly) this.transport.write('0\r\n\r\n')
    this.#finished = true
    this.options.onFinish(this)
  }

  /** A whole response, head and body, in one `write()`. */
  send (status: number, body: string | Uint8Array, headers: Headers = []): void {
    if (typeof body === 'string') {
      const head = this.#head(status, headers, Buffer.byteLength(body))
      this.#owed = 0
      this.transport.write(this.options.headOnly ? head : head + body)
    } else {
      this.writeHead(status, headers, body.byteLength, body)
    }
    this.end()
  }

  #count (n: number): void {
    if (this.#owed === -1) return
    if (n > this.#owed) throw new Error('body longer than the announced Content-Length')
    this.#owed -= n
  }
}

function toBytes (part: string | Uint8Array): Uint8Array {
  return typeof part === 'string' ? Buffer.from(part, 'latin1') : part
}

/** A chunk of a chunked body: size line, data, CRLF. */
function frame (chunk: Uint8Array): [string, Uint8Array, string] {
  return [`${chunk.byteLength.toString(16)}\r\n`, chunk, '\r\n']
}
