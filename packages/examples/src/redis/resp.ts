/**
 * RESP2, the Redis serialization protocol: an incremental parser for replies and the encoder
 * for commands (https://redis.io/docs/latest/develop/reference/protocol-spec/).
 *
 * What it teaches about transports: replies arrive as a byte stream cut anywhere, and a
 * pipelining client gets thousands of them per read. The parser works through a read in
 * place (a reply is a view of the received bytes, not a copy) and keeps only what it must:
 *
 * - the unparsed tail of the last read; when that tail is the start of a bulk string whose
 *   length is known (`$16777216\r\n...`), later reads are only collected until enough bytes
 *   are there, and then joined once: a 16 MiB value costs one copy, not one per read;
 * - the arrays still being filled, on a stack, so a deep or long array split across reads is
 *   never parsed twice.
 *
 * Reply types: simple string (`+OK`) → string; error (`-ERR ...`) → `RedisError`; integer
 * (`:42`) → number; bulk string (`$n`) → `Buffer` (binary-safe), `$-1` → null; array (`*n`)
 * → array, `*-1` → null. A protocol violation throws `RespProtocolError`: the connection
 * can no longer be trusted and must be closed.
 */

/** An error reply. `code` is its first word (`ERR`, `WRONGTYPE`, `NOSCRIPT`, ...). */
export class RedisError extends Error {
  readonly code: string
  constructor (message: string) {
    super(message)
    this.name = 'RedisError'
    this.code = /^\S+/.exec(message)?.[0] ?? 'ERR'
  }
}

/** Bytes that are not RESP2. */
export class RespProtocolError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'RespProtocolError'
  }
}

export type Reply = string | number | Buffer | null | RedisError | Reply[]

/** A command argument: strings are sent as UTF-8, numbers in decimal, bytes as they are. */
export type Arg = string | number | Uint8Array

/** Redis's own limits: proto-max-bulk-len (512 MiB), and a generous line length. */
const MAX_BULK = 512 * 1024 * 1024
const MAX_LINE = 64 * 1024
const MAX_ARRAY = 1 << 30

interface Frame { items: Reply[], left: number }

export class RespParser {
  #buf: Buffer = Buffer.alloc(0)
  #pos = 0
  /** Reads collected while waiting for `#need` bytes in all (0: not waiting). */
  #pending: Buffer[] = []
  #pendingLen = 0
  #need = 0
  #stack: Frame[] = []
  #dead = false

  constructor (readonly onReply: (reply: Reply) => void) {}

  /** Parses a read, calling `onReply` for each complete reply; throws `RespProtocolError`. */
  feed (data: Buffer): void {
    if (this.#dead) return
    if (this.#need > 0) {
      this.#pending.push(data)
      this.#pendingLen += data.length
      if (this.#pendingLen < this.#need) return
      this.#buf = Buffer.concat(this.#pending, this.#pendingLen)
      this.#pending = []
      this.#need = 0
    } else {
      this.#buf = data
    }
    this.#pos = 0
    try {
      this.#parse()
    } catch (err) {
      this.#dead = true
      throw err
    }
  }

  #parse (): void {
    const buf = this.#buf
    const end = buf.length
    while (this.#pos < end) {
      const start = this.#pos
      const lf = buf.indexOf(10, start + 1)
      if (lf === -1) {
        if (end - start > MAX_LINE) throw new RespProtocolError('reply line too long')
        return this.#wait(start, end - start + 1)
      }
      if (buf[lf - 1] !== 13 || lf - 1 <= start) throw new RespProtocolError('malformed reply line')
      const type = buf[start]
      let value: Reply
      switch (type) {
        case 0x2b: // + simple string
          value = lf - start === 4 && buf[start + 1] === 0x4f && buf[start + 2] === 0x4b ? 'OK' : buf.toString('utf8', start + 1, lf - 1)
          this.#pos = lf + 1
          break
        case 0x2d: // - error
          value = new RedisError(buf.toString('utf8', start + 1, lf - 1))
          this.#pos = lf + 1
          break
        case 0x3a: // : integer
          value = readInt(buf, start + 1, lf - 1)
          this.#pos = lf + 1
          break
        case 0x24: { // $ bulk string
          const len = readInt(buf, start + 1, lf - 1)
          if (len === -1) {
            value = null
            this.#pos = lf + 1
            break
          }
          if (len < 0 || len > MAX_BULK) throw new RespProtocolError(`bad bulk length ${len}`)
          const stop = lf + 1 + len
          if (stop + 2 > end) return this.#wait(start, stop + 2 - start)
          if (buf[stop] !== 13 || buf[stop + 1] !== 10) throw new RespProtocolError('bulk string not followed by CRLF')
          value = buf.subarray(lf + 1, stop)
          this.#pos = stop + 2
          break
        }
        case 0x2a: { // * array
          const n = readInt(buf, start + 1, lf - 1)
          this.#pos = lf + 1
          if (n === -1) value = null
          else if (n < 0 || n > MAX_ARRAY) throw new RespProtocolError(`bad array length ${n}`)
          else if (n === 0) value = []
          else {
            this.#stack.push({ items: [], left: n })
            continue
          }
          break
        }
        default:
          throw new RespProtocolError(`unknown reply type ${JSON.stringify(String.fromCharCode(type!))}`)
      }
      // a complete value: into the array being filled, or out as a reply
      for (;;) {
        const top = this.#stack[this.#stack.length - 1]
        if (top === undefined) {
          this.onReply(value)
          break
        }
        top.items.push(value)
        if (--top.left > 0) break
        this.#stack.pop()
        value = top.items
      }
      if (this.#dead) return // onReply closed the connection
    }
    this.#buf = Buffer.alloc(0)
    this.#pos = 0
  }

  /** Keeps the tail from `start` and waits until `need` bytes of it are there. */
  #wait (start: number, need: number): void {
    const tail = this.#buf.subarray(start)
    this.#pending = [tail]
    this.#pendingLen = tail.length
    this.#need = need
    this.#buf = Buffer.alloc(0)
    this.#pos = 0
  }

  /** Stops for good (the connection is gone). */
  close (): void {
    this.#dead = true
    this.#pending = []
    this.#stack = []
  }
}

/** A decimal integer in `buf[from, to)`, optionally negative; throws on anything else. */
function readInt (buf: Buffer, from: number, to: number): number {
  let neg = false
  if (buf[from] === 0x2d) {
    neg = true
    from++
  }
  if (from >= to || to - from > 19) throw new RespProtocolError('malformed integer')
  let n = 0
  for (let i = from; i < to; i++) {
    const d = buf[i]! - 0x30
    if (d < 0 || d > 9) throw new RespProtocolError('malformed integer')
    n = n * 10 + d
  }
  return neg ? -n : n
}

/**
 * A command as RESP: an array of bulk strings. Returns one string when every argument is
 * text (the common case: one `write`), else the parts to pass to `writelines`.
 */
export function encodeCommand (args: readonly Arg[]): string | Array<string | Uint8Array> {
  let head = `*${args.length}\r\n`
  let parts: Array<string | Uint8Array> | null = null
  for (const arg of args) {
    if (typeof arg === 'string') {
      head += `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`
    } else if (typeof arg === 'number') {
      const s = String(arg)
      head += `$${s.length}\r\n${s}\r\n`
    } else {
      parts ??= []
      parts.push(`${head}$${arg.byteLength}\r\n`, arg)
      head = '\r\n'
    }
  }
  if (parts === null) return head
  parts.push(head)
  return parts
}
