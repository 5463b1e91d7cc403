/**
 * The bytes a `StreamReader` holds (asyncio keeps a `bytearray`). Received chunks are kept
 * by reference, so reading what arrived costs no copy; a separator search makes the bytes
 * contiguous once, and from then on, while bytes remain, new ones are appended into spare
 * room that doubles as needed (what `bytearray.extend` does), so a long line that arrives in
 * many small pieces costs linear time, not quadratic.
 * @internal
 */
export class ByteBuffer {
  // Chunk mode: the bytes are chunks[head..] minus the first `offset` bytes of chunks[head].
  #chunks: Array<Buffer | undefined> = []
  #head = 0
  #offset = 0
  // Contiguous mode (store !== null): the bytes are store[start, end); store[end..] is spare.
  #store: Buffer | null = null
  #start = 0
  #end = 0
  #size = 0

  /** How many bytes are held. */
  get size (): number {
    return this.#size
  }

  /** Appends `data`, kept by reference unless the bytes are contiguous. */
  push (data: Buffer): void {
    if (data.length === 0) return
    this.#size += data.length
    if (this.#store === null) {
      this.#chunks.push(data)
      return
    }
    if (this.#store.length - this.#end < data.length) {
      const used = this.#end - this.#start
      const grown = Buffer.allocUnsafe(Math.max(MIN_STORE, 2 * (used + data.length)))
      this.#store.copy(grown, 0, this.#start, this.#end)
      this.#store = grown
      this.#start = 0
      this.#end = used
    }
    data.copy(this.#store, this.#end)
    this.#end += data.length
  }

  /** Makes the bytes contiguous (for `indexOf` and `startsWith`). */
  flatten (): void {
    if (this.#store !== null) return
    const count = this.#chunks.length - this.#head
    if (count === 1) {
      const only = this.#chunks[this.#head]!
      this.#store = only
      this.#start = this.#offset
      this.#end = only.length
    } else {
      const joined = Buffer.allocUnsafe(Math.max(MIN_STORE, 2 * this.#size))
      let at = 0
      for (let i = this.#head; i < this.#chunks.length; i++) {
        const c = this.#chunks[i]!
        const from = i === this.#head ? this.#offset : 0
        c.copy(joined, at, from)
        at += c.length - from
      }
      this.#store = joined
      this.#start = 0
      this.#end = at
    }
    this.#chunks = []
    this.#head = 0
    this.#offset = 0
  }

  /** Where `sep` first occurs at or after `from`, or -1. The bytes must be contiguous (`flatten()`). */
  indexOf (sep: Uint8Array, from: number): number {
    return this.#store === null ? -1 : this.#store.subarray(this.#start, this.#end).indexOf(sep, from)
  }

  /** Whether the bytes at `at` are `sep`. The bytes must be contiguous (`flatten()`). */
  startsWith (sep: Uint8Array, at: number): boolean {
    if (this.#store === null || at + sep.length > this.#size) return false
    const s = this.#store
    const base = this.#start + at
    for (let i = 0; i < sep.length; i++) if (s[base + i] !== sep[i]) return false
    return true
  }

  /**
   * Removes and returns the first `min(n, size)` bytes. In chunk mode a piece of one chunk
   * is returned as a view of it (the chunk is the reader's own: nothing else writes to it).
   */
  take (n: number): Buffer {
    if (n > this.#size) n = this.#size
    if (n <= 0) return Buffer.alloc(0)
    this.#size -= n
    if (this.#store !== null) {
      const out = Buffer.from(this.#store.subarray(this.#start, this.#start + n))
      this.#start += n
      if (this.#size === 0) this.#store = null
      return out
    }
    const first = this.#chunks[this.#head]!
    const avail = first.length - this.#offset
    if (avail >= n) {
      const out = this.#offset === 0 && n === first.length ? first : first.subarray(this.#offset, this.#offset + n)
      if (n === avail) this.#drop()
      else this.#offset += n
      return out
    }
    const out = Buffer.allocUnsafe(n)
    let filled = 0
    while (filled < n) {
      const c = this.#chunks[this.#head]!
      const piece = Math.min(c.length - this.#offset, n - filled)
      c.copy(out, filled, this.#offset, this.#offset + piece)
      filled += piece
      if (this.#offset + piece === c.length) this.#drop()
      else this.#offset += piece
    }
    return out
  }

  /** Drops every byte. */
  clear (): void {
    this.#chunks = []
    this.#head = 0
    this.#offset = 0
    this.#store = null
    this.#size = 0
  }

  /** Done with chunks[head]: forget it, and compact the list now and then. */
  #drop (): void {
    this.#offset = 0
    if (this.#head === 0 && this.#chunks.length === 1) {
      this.#chunks.pop() // the common case, and cheaper than setting the length
      return
    }
    this.#chunks[this.#head++] = undefined
    if (this.#head === this.#chunks.length) {
      this.#chunks.length = 0
      this.#head = 0
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#chunks.length) {
      this.#chunks = this.#chunks.slice(this.#head)
      this.#head = 0
    }
  }
}

/** The smallest contiguous store allocated (a line protocol's lines fit without regrowing). */
const MIN_STORE = 16 * 1024
