import { InvalidStateError } from '@wireline/core'
import type { ReadTransport } from '@wireline/core'
import { ByteBuffer } from './byte-buffer.js'
import { invalidArgType, invalidArgValue } from '@wireline/core/machinery'
import { checkInteger, checkLimit } from './stream-checks.js'
import { IncompleteReadError, LimitOverrunError } from './stream-errors.js'
import { readableFrom } from './web-streams.js'

/** Options of `new StreamReader()`. */
export interface StreamReaderOptions {
  /**
   * The buffer limit (default 64 KiB): the longest line `readline()`/`readuntil()` return,
   * and the flow-control mark: reading from the transport is paused when more than
   * 2 × `limit` bytes are buffered and resumed once they are down to `limit`.
   */
  limit?: number | null
}

/** What `readuntil()` accepts: one separator, or an array of them (the first found wins). */
export type Separator = string | Uint8Array | ReadonlyArray<string | Uint8Array>

const NEWLINE = Buffer.from('\n')
const EMPTY = Buffer.alloc(0)

/** Replaces the transport a reader pauses and resumes (`StreamWriter.startTls`). @internal */
export let replaceReaderTransport: (reader: StreamReader, transport: ReadTransport) => void

/**
 * asyncio's `StreamReader`: reads from a connection as a stream of bytes, by size, by line or
 * up to a separator. `openConnection` and `startServer` make it; a protocol of your own can
 * feed one with `feedData`/`feedEof`/`setException` (as asyncio's `StreamReaderProtocol`
 * does).
 *
 * One read at a time: a read that has to wait for data while another is waiting throws
 * `InvalidStateError`. Reads return `Uint8Array`s (Node `Buffer`s) that are the caller's own.
 *
 * @see https://docs.python.org/3/library/asyncio-stream.html#streamreader
 */
export class StreamReader {
  readonly #limit: number
  readonly #buffer = new ByteBuffer()
  #eof = false
  #exception: Error | null = null
  #transport: ReadTransport | null = null
  #paused = false
  // The read waiting for feedData, feedEof or setException (one at a time, as in asyncio):
  // `waitN` > 0 is a read(n), which takes its bytes when woken; 0 a wait that re-checks.
  #waiting = false
  #waitN = 0
  #resolve: ((value: Uint8Array | undefined) => void) | null = null
  #reject: ((err: Error) => void) | null = null
  readonly #executor = (resolve: (value: Uint8Array | undefined) => void, reject: (err: Error) => void): void => {
    this.#resolve = resolve
    this.#reject = reject
  }

  #readable: ReadableStream<Uint8Array> | null = null

  static {
    replaceReaderTransport = (reader, transport) => {
      reader.#transport = transport
      if (reader.#paused) transport.pauseReading()
    }
  }

  /** @throws RangeError when `limit` is not a positive integer. */
  constructor (options: StreamReaderOptions = {}) {
    if (typeof options !== 'object' || options === null) throw invalidArgType('options must be an object')
    this.#limit = checkLimit(options.limit)
  }

  /** The error the connection ended with (set by `setException`), or `null`. */
  exception (): Error | null {
    return this.#exception
  }

  /** Makes every pending and later read reject with `exc`. */
  setException (exc: Error): void {
    this.#exception = exc
    if (this.#waiting) {
      const reject = this.#reject!
      this.#endWait()
      reject(exc)
    }
  }

  /** Sets the transport whose reading the reader pauses and resumes; once. */
  setTransport (transport: ReadTransport): void {
    if (this.#transport !== null) throw new InvalidStateError('Transport already set')
    this.#transport = transport
  }

  /** Marks the end of the stream: reads return what is left, then empty. */
  feedEof (): void {
    this.#eof = true
    this.#wakeup()
  }

  /** True once the end of the stream was fed and every byte before it read. */
  atEof (): boolean {
    return this.#eof && this.#buffer.size === 0
  }

  /**
   * Appends received bytes. The reader keeps `data` (no copy): do not change it afterwards.
   * Above 2 × `limit` buffered bytes the transport's reading is paused.
   */
  feedData (data: Uint8Array): void {
    if (this.#eof) throw new InvalidStateError('feedData() after feedEof()')
    if (data.length === 0) return
    this.#buffer.push(Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength))
    this.#wakeup()
    if (this.#transport !== null && !this.#paused && this.#buffer.size > 2 * this.#limit) {
      try {
        this.#transport.pauseReading()
        this.#paused = true
      } catch (err) {
        // A transport that cannot pause (asyncio: NotImplementedError): buffer everything.
        if ((err as { code?: unknown }).code !== 'WL_ERR_UNSUPPORTED') throw err
        this.#transport = null
      }
    }
  }

  /**
   * Reads up to `n` bytes. With `n` negative (the default, -1), reads until the end of the
   * stream and returns everything. With `n` 0, returns empty bytes at once. Otherwise waits
   * until at least one byte is buffered (or the end came) and returns at most `n` of them;
   * empty bytes mean the end of the stream.
   * @throws TypeError/RangeError when `n` is not an integer.
   */
  read (n = -1): Promise<Uint8Array> {
    checkInteger(n, 'n', -Infinity)
    if (this.#exception !== null) return Promise.reject(this.#exception)
    if (n === 0) return Promise.resolve(EMPTY)
    if (n < 0) return this.#readAll()
    if (this.#buffer.size > 0 || this.#eof) return Promise.resolve(this.#take(n))
    return this.#readSome(n)
  }

  /**
   * Reads one line, through `\n` included. At the end of the stream, returns what is left
   * without a newline, and then empty bytes. A line longer than `limit` throws `RangeError`
   * (asyncio: `ValueError`; its `cause` is the `LimitOverrunError`) after discarding it:
   * through its `\n` when that was buffered, otherwise the whole buffer.
   */
  async readline (): Promise<Uint8Array> {
    try {
      return await this.#readuntil([NEWLINE])
    } catch (err) {
      if (err instanceof IncompleteReadError) return err.partial
      if (!(err instanceof LimitOverrunError)) throw err
      this.#buffer.flatten()
      if (this.#buffer.startsWith(NEWLINE, err.consumed)) this.#buffer.take(err.consumed + NEWLINE.length)
      else this.#buffer.clear()
      this.#maybeResume()
      throw new RangeError(err.message, { cause: err })
    }
  }

  /**
   * Reads until `separator` (a string, as UTF-8, or bytes; or an array of them: the one that
   * ends first is taken) and returns the data with the separator at its end.
   *
   * At the end of the stream without a separator: `IncompleteReadError` with everything
   * left as `partial` (consumed) and `expected` null. When `limit` bytes were searched
   * without a separator, or the one found lies beyond `limit`: `LimitOverrunError`, and the
   * data stays buffered.
   * @throws TypeError when a separator is empty or not a string or bytes.
   */
  readuntil (separator: Separator = NEWLINE): Promise<Uint8Array> {
    return this.#readuntil(separators(separator))
  }

  /**
   * Reads exactly `n` bytes. When the stream ends first: `IncompleteReadError` with the
   * bytes read as `partial` (consumed) and `n` as `expected`. `n` may exceed `limit`.
   * @throws RangeError when `n` is negative or not an integer.
   */
  readexactly (n: number): Promise<Uint8Array> {
    checkInteger(n, 'n', 0)
    if (this.#exception !== null) return Promise.reject(this.#exception)
    if (n === 0) return Promise.resolve(EMPTY)
    if (this.#buffer.size >= n) return Promise.resolve(this.#take(n))
    return this.#readexactly(n)
  }

  /** `for await (const line of reader)`: the lines of `readline()`, until the end of the stream. */
  async * [Symbol.asyncIterator] (): AsyncGenerator<Uint8Array, void, undefined> {
    for (;;) {
      const line = await this.readline()
      if (line.length === 0) return
      yield line
    }
  }

  /**
   * Beyond asyncio: the stream as a Web `ReadableStream` (made on first use, then the same
   * one). It pulls with `read(limit)` only when its consumer asks, so memory stays bounded as
   * with the reader itself. Cancelling it closes the transport. Use either it or the read
   * methods: a read while the stream waits for data throws `InvalidStateError`.
   */
  get readable (): ReadableStream<Uint8Array> {
    this.#readable ??= readableFrom(this, this.#limit, () => { this.#transport?.close() })
    return this.#readable
  }

  async #readAll (): Promise<Uint8Array> {
    const blocks: Uint8Array[] = []
    for (;;) {
      const block = await this.read(this.#limit)
      if (block.length === 0) break
      blocks.push(block)
    }
    return blocks.length === 1 ? blocks[0]! : Buffer.concat(blocks)
  }

  /**
   * `read(n)` with nothing buffered: one promise, settled by the feed that wakes it (data or
   * EOF: it takes what there is then) or by `setException`.
   */
  #readSome (n: number): Promise<Uint8Array> {
    if (this.#waiting) return Promise.reject(this.#busy('read'))
    this.#resumeBeforeWait()
    this.#waiting = true
    this.#waitN = n
    return new Promise(this.#executor) as Promise<Uint8Array>
  }

  async #readexactly (n: number): Promise<Uint8Array> {
    while (this.#buffer.size < n) {
      if (this.#eof) throw new IncompleteReadError(this.#buffer.take(this.#buffer.size), n)
      await this.#waitForData('readexactly')
    }
    return this.#take(n)
  }

  async #readuntil (seps: Buffer[]): Promise<Uint8Array> {
    if (this.#exception !== null) throw this.#exception
    const minLen = seps[0]!.length
    const maxLen = seps[seps.length - 1]!.length
    // `offset`: how many bytes from the start are known to hold no separator start.
    let offset = 0
    let matchStart = -1
    let matchEnd = -1
    for (;;) {
      const size = this.#buffer.size
      if (size - offset >= minLen) {
        this.#buffer.flatten()
        for (const sep of seps) {
          const at = this.#buffer.indexOf(sep, offset)
          if (at !== -1 && (matchEnd === -1 || at + sep.length < matchEnd)) {
            matchStart = at
            matchEnd = at + sep.length
          }
        }
        if (matchEnd !== -1) break
        offset = Math.max(0, size + 1 - maxLen)
        if (offset > this.#limit) {
          throw new LimitOverrunError(`separator not found within the limit of ${this.#limit} bytes`, offset)
        }
      }
      // A separator may have come with the last bytes before the end: look first, then check.
      if (this.#eof) throw new IncompleteReadError(this.#buffer.take(this.#buffer.size), null)
      await this.#waitForData('readuntil')
    }
    if (matchStart > this.#limit) {
      throw new LimitOverrunError(`separator found after ${matchStart} bytes, beyond the limit of ${this.#limit}`, matchStart)
    }
    return this.#take(matchEnd)
  }

  #take (n: number): Buffer {
    const data = this.#buffer.take(n)
    this.#maybeResume()
    return data
  }

  #maybeResume (): void {
    if (this.#paused && this.#buffer.size <= this.#limit) {
      this.#paused = false
      this.#transport?.resumeReading()
    }
  }

  #wakeup (): void {
    if (this.#waiting) {
      const resolve = this.#resolve!
      const n = this.#waitN
      this.#endWait()
      resolve(n > 0 ? this.#take(n) : undefined)
    }
  }

  #endWait (): void {
    this.#waiting = false
    this.#resolve = null
    this.#reject = null
  }

  /** Waits for `feedData`, `feedEof` or `setException`; resumes a paused transport first. */
  #waitForData (what: string): Promise<unknown> {
    if (this.#waiting) return Promise.reject(this.#busy(what))
    // An error set while this read was between two waits ends it too.
    if (this.#exception !== null) return Promise.reject(this.#exception)
    this.#resumeBeforeWait()
    this.#waiting = true
    this.#waitN = 0
    return new Promise(this.#executor)
  }

  /** Waiting while paused would never end (readexactly(n) with n > 2 × limit needs this). */
  #resumeBeforeWait (): void {
    if (this.#paused) {
      this.#paused = false
      this.#transport?.resumeReading()
    }
  }

  #busy (what: string): InvalidStateError {
    return new InvalidStateError(`${what}() called while another read is already waiting for incoming data`)
  }
}

/** `readuntil()`'s separators as bytes, shortest first; throws for an empty one or a wrong type. */
function separators (separator: Separator): Buffer[] {
  const list = typeof separator === 'string' || separator instanceof Uint8Array ? [separator] : separator
  if (!Array.isArray(list)) throw invalidArgType('separator must be a string, bytes, or an array of them')
  if (list.length === 0) throw invalidArgValue('separator must hold at least one separator')
  const out = list.map((sep: unknown) => {
    let b: Buffer
    if (typeof sep === 'string') b = Buffer.from(sep, 'utf8')
    else if (sep instanceof Uint8Array) b = Buffer.isBuffer(sep) ? sep : Buffer.from(sep.buffer, sep.byteOffset, sep.byteLength)
    else throw invalidArgType(`a separator must be a string or bytes, got ${sep === null ? 'null' : typeof sep}`)
    if (b.length === 0) throw invalidArgValue('a separator must be at least one byte long')
    return b
  })
  return out.sort((a, b) => a.length - b.length)
}
