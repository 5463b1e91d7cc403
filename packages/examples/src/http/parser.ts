/**
 * An incremental HTTP/1.1 request parser (RFC 9112), fed the bytes a stream `Protocol`
 * receives, in whatever pieces TCP delivered them.
 *
 * What it teaches about transports: a byte stream has no message boundaries. One
 * `dataReceived` may hold half a request line, or forty pipelined requests and the start of a
 * forty-first; the parser keeps only the unconsumed tail, and only as much of it as the
 * limits allow: a head that is not complete within `maxHeadBytes` is refused (431), so a peer
 * that never sends the blank line cannot make the server buffer without bound. Bodies are not
 * buffered at all: each piece is handed on as it arrives (`onBody`), as a view of the bytes
 * the transport delivered.
 *
 * The parser can be paused between steps (`pause()`), keeping the rest of the input for
 * `resume()`: the server pauses it when the transport pauses writing, so a client that
 * pipelines requests but does not read the responses stops being served (and read) until it
 * reads again.
 *
 * Malformed input throws `HttpError` with the status to answer (400, 431, 501, 505); the
 * parser is then unusable, and the connection must be closed after the error response.
 */

/** A request head, as parsed. Header names are lower case; values keep their case. */
export interface RequestHead {
  method: string
  /** The request target as sent (origin form: `/path?query`). */
  target: string
  /** `HTTP/1.<minor>`. */
  minor: 0 | 1
  headers: Array<[name: string, value: string]>
  /** Whether the connection stays open after this exchange (version and `Connection`). */
  keepAlive: boolean
  /** The body's length: a number for `Content-Length` (0 without a body), -1 for chunked. */
  contentLength: number
  /** `Expect: 100-continue` was sent: the client waits for an interim response. */
  expectContinue: boolean
}

/** What the parser calls, in this order per request: onHead, onBody*, onEnd. */
export interface ParserHandler {
  onHead: (head: RequestHead) => void
  /** A piece of the body (never empty), a view of the received bytes. */
  onBody: (chunk: Buffer) => void
  onEnd: () => void
}

/** Input the server must refuse; `status` is the response to send before closing. */
export class HttpError extends Error {
  constructor (readonly status: number, message: string) {
    super(message)
    this.name = 'HttpError'
  }
}

export interface ParserLimits {
  /** The request line plus headers, and the trailers of a chunked body (default 16 KiB). */
  maxHeadBytes?: number
  /** Header fields per request (default 100). */
  maxHeaders?: number
}

const enum State { Head, Body, ChunkSize, ChunkData, ChunkEnd, Trailers, Dead }

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) ([\x21-\x7e\x80-\xff]+) HTTP\/(\d)\.(\d)$/
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/
const DIGITS = /^\d{1,15}$/
const HEX = /^[0-9a-fA-F]{1,12}$/
const MAX_CHUNK_LINE = 1024
const CRLFCRLF = Buffer.from('\r\n\r\n')

export class RequestParser {
  #state = State.Head
  #buf: Buffer = Buffer.alloc(0)
  #pos = 0
  #remaining = 0
  #trailerBytes = 0
  #paused = false
  #running = false
  readonly #maxHead: number
  readonly #maxHeaders: number

  constructor (readonly handler: ParserHandler, limits: ParserLimits = {}) {
    this.#maxHead = limits.maxHeadBytes ?? 16 * 1024
    this.#maxHeaders = limits.maxHeaders ?? 100
  }

  /** Bytes received and not yet parsed (kept while paused, or an incomplete head). */
  get buffered (): number { return this.#buf.length - this.#pos }

  /** True between a request's head and its end. */
  get inMessage (): boolean { return this.#state !== State.Head && this.#state !== State.Dead }

  /** Parses `data`, calling the handler; throws `HttpError` on malformed input. */
  feed (data: Buffer): void {
    if (this.#state === State.Dead) return
    this.#buf = this.#pos < this.#buf.length ? Buffer.concat([this.#buf.subarray(this.#pos), data]) : data
    this.#pos = 0
    this.#run()
  }

  /** Stops parsing after the current step; what is left is kept for `resume()`. */
  pause (): void { this.#paused = true }

  /** Goes on with the input kept while paused. */
  resume (): void {
    if (!this.#paused) return
    this.#paused = false
    this.#run()
  }

  /** Stops for good: the rest of the input, and any later, is ignored. */
  close (): void {
    this.#state = State.Dead
    this.#buf = Buffer.alloc(0)
    this.#pos = 0
  }

  #run (): void {
    if (this.#running) return // a handler called resume() from inside a callback
    this.#running = true
    try {
      while (!this.#paused && this.#state !== State.Dead && this.#step()) { /* next step */ }
    } catch (err) {
      this.close()
      throw err
    } finally {
      this.#running = false
    }
  }

  /** One step of the state machine; false when it needs more input. */
  #step (): boolean {
    const buf = this.#buf
    switch (this.#state) {
      case State.Head: {
        // RFC 9112 2.2: ignore empty lines before a request line
        while (this.#pos + 1 < buf.length && buf[this.#pos] === 13 && buf[this.#pos + 1] === 10) this.#pos += 2
        if (this.#pos >= buf.length) return false
        const end = buf.indexOf(CRLFCRLF, this.#pos)
        if (end === -1) {
          if (buf.length - this.#pos > this.#maxHead) throw new HttpError(431, 'request head too large')
          if (buf.indexOf('\n\n', this.#pos) !== -1) throw new HttpError(400, 'bare LF in the request head')
          return false
        }
        if (end + 4 - this.#pos > this.#maxHead) throw new HttpError(431, 'request head too large')
        const head = this.#parseHead(buf.toString('latin1', this.#pos, end))
        this.#pos = end + 4
        if (head.contentLength === -1) this.#state = State.ChunkSize
        else if (head.contentLength > 0) {
          this.#state = State.Body
          this.#remaining = head.contentLength
        }
        this.handler.onHead(head)
        if (head.contentLength === 0) this.#end()
        return true
      }
      case State.Body:
      case State.ChunkData: {
        const avail = buf.length - this.#pos
        if (avail === 0) return false
        const n = Math.min(avail, this.#remaining)
        const chunk = buf.subarray(this.#pos, this.#pos + n)
        this.#pos += n
        this.#remaining -= n
        if (this.#remaining === 0) {
          if (this.#state === State.ChunkData) this.#state = State.ChunkEnd
          else this.#state = State.Head
        }
        this.handler.onBody(chunk)
        if (this.#remaining === 0 && this.#state === State.Head) this.handler.onEnd()
        return true
      }
      case State.ChunkSize: {
        const lf = buf.indexOf(10, this.#pos)
        if (lf === -1) {
          if (buf.length - this.#pos > MAX_CHUNK_LINE) throw new HttpError(400, 'chunk size line too long')
          return false
        }
        if (lf - this.#pos > MAX_CHUNK_LINE || buf[lf - 1] !== 13) throw new HttpError(400, 'malformed chunk size line')
        const line = buf.toString('latin1', this.#pos, lf - 1)
        const semi = line.indexOf(';') // chunk extensions are ignored
        const hex = (semi === -1 ? line : line.slice(0, semi)).trimEnd()
        if (!HEX.test(hex)) throw new HttpError(400, 'malformed chunk size')
        this.#pos = lf + 1
        this.#remaining = parseInt(hex, 16)
        if (this.#remaining === 0) {
          this.#state = State.Trailers
          this.#trailerBytes = 0
        } else this.#state = State.ChunkData
        return true
      }
      case State.ChunkEnd: {
        const avail = buf.length - this.#pos
        if (avail >= 1 && buf[this.#pos] !== 13) throw new HttpError(400, 'chunk data not followed by CRLF')
        if (avail < 2) return false
        if (buf[this.#pos + 1] !== 10) throw new HttpError(400, 'chunk data not followed by CRLF')
        this.#pos += 2
        this.#state = State.ChunkSize
        return true
      }
      case State.Trailers: {
        // trailer fields are read and dropped; the blank line ends the message
        const lf = buf.indexOf(10, this.#pos)
        if (lf === -1) {
          if (this.#trailerBytes + buf.length - this.#pos > this.#maxHead) throw new HttpError(431, 'trailers too large')
          return false
        }
        if (buf[lf - 1] !== 13 || lf - 1 < this.#pos) throw new HttpError(400, 'bare LF in the trailers')
        const empty = lf - 1 === this.#pos
        this.#trailerBytes += lf + 1 - this.#pos
        if (this.#trailerBytes > this.#maxHead) throw new HttpError(431, 'trailers too large')
        this.#pos = lf + 1
        if (empty) this.#end()
        return true
      }
      default:
        return false
    }
  }

  #end (): void {
    this.#state = State.Head
    this.handler.onEnd()
  }

  /** The request line and header fields, checked as RFC 9112 asks of a server. */
  #parseHead (text: string): RequestHead {
    const lines = text.split('\r\n')
    const m = REQUEST_LINE.exec(lines[0]!)
    if (m === null) throw new HttpError(400, 'malformed request line')
    if (m[3] !== '1') throw new HttpError(505, 'HTTP version not supported')
    const minor = m[4] === '0' ? 0 : m[4] === '1' ? 1 : -1
    if (minor === -1) throw new HttpError(505, 'HTTP version not supported')
    if (lines.length - 1 > this.#maxHeaders) throw new HttpError(431, 'too many header fields')
    const headers: Array<[string, string]> = []
    let contentLength: number | null = null
    let chunked = false
    let hosts = 0
    let close = minor === 0
    let expectContinue = false
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!
      const colon = line.indexOf(':')
      // no colon, an empty name, or whitespace before the colon (smuggling) or at the start (obs-fold)
      if (colon <= 0) throw new HttpError(400, 'malformed header field')
      const name = line.slice(0, colon)
      if (!TOKEN.test(name)) throw new HttpError(400, 'malformed header field name')
      const value = line.slice(colon + 1).trim()
      if (!FIELD_VALUE.test(value)) throw new HttpError(400, 'malformed header field value')
      const lower = name.toLowerCase()
      headers.push([lower, value])
      switch (lower) {
        case 'host': hosts++; break
        case 'content-length': {
          // a list of identical values is allowed (RFC 9110 8.6); anything else is refused
          const values = value.split(',').map((v) => v.trim())
          for (const v of values) {
            if (!DIGITS.test(v) || v !== values[0]) throw new HttpError(400, 'malformed Content-Length')
          }
          const n = Number(values[0])
          if (contentLength !== null && contentLength !== n) throw new HttpError(400, 'conflicting Content-Length')
          contentLength = n
          break
        }
        case 'transfer-encoding': {
          const codings = value.toLowerCase().split(',').map((v) => v.trim())
          if (chunked || codings.some((c, j) => c !== 'chunked' || j > 0)) {
            throw new HttpError(codings.includes('chunked') ? 400 : 501, 'unsupported Transfer-Encoding')
          }
          chunked = true
          break
        }
        case 'connection': {
          for (const token of value.toLowerCase().split(',')) {
            const t = token.trim()
            if (t === 'close') close = true
            else if (t === 'keep-alive' && minor === 0) close = false
          }
          break
        }
        case 'expect':
          if (value.toLowerCase() !== '100-continue') throw new HttpError(417, 'unsupported expectation')
          expectContinue = minor === 1
          break
      }
    }
    if (minor === 1 && hosts !== 1) throw new HttpError(400, 'a request must have exactly one Host')
    if (chunked && contentLength !== null) throw new HttpError(400, 'both Transfer-Encoding and Content-Length')
    if (chunked && minor === 0) throw new HttpError(400, 'chunked body in an HTTP/1.0 request')
    return {
      method: m[1]!,
      target: m[2]!,
      minor,
      headers,
      keepAlive: !close,
      contentLength: chunked ? -1 : contentLength ?? 0,
      expectContinue,
    }
  }
}
