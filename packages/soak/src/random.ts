/**
 * A small seeded generator (sfc32, seeded through splitmix32), so that a run is the same run
 * again from its seed: every choice a scenario makes comes from here, never from
 * `Math.random()`. What the kernel does (how reads are split, when a timer fires) is not
 * seeded; the seed fixes what the run asks for, which is what reproduces a failure.
 */
export class Random {
  #a: number
  #b: number
  #c: number
  #d: number

  constructor (seed: number) {
    let s = seed >>> 0
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0
      let z = s
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
      return (z ^ (z >>> 16)) >>> 0
    }
    this.#a = next()
    this.#b = next()
    this.#c = next()
    this.#d = next()
    for (let i = 0; i < 12; i++) this.uint32()
  }

  /** A uniform 32-bit unsigned integer. */
  uint32 (): number {
    const t = (((this.#a + this.#b) >>> 0) + this.#d) >>> 0
    this.#d = (this.#d + 1) >>> 0
    this.#a = this.#b ^ (this.#b >>> 9)
    this.#b = (this.#c + (this.#c << 3)) >>> 0
    this.#c = ((this.#c << 21) | (this.#c >>> 11)) >>> 0
    this.#c = (this.#c + t) >>> 0
    return t
  }

  /** A float in [0, 1). */
  float (): number { return this.uint32() / 4294967296 }

  /** An integer in [min, max]. */
  int (min: number, max: number): number { return min + Math.floor(this.float() * (max - min + 1)) }

  /** True with probability `p`. */
  chance (p: number): boolean { return this.float() < p }

  /** One of `items`. */
  pick<T> (items: readonly T[]): T { return items[Math.floor(this.float() * items.length)]! }

  /** One of the keys of `weights`, chosen in proportion to its weight. */
  weighted<K extends string> (weights: Record<K, number>): K {
    const entries = Object.entries(weights) as Array<[K, number]>
    let r = this.float() * entries.reduce((sum, [, w]) => sum + w, 0)
    for (const [k, w] of entries) {
      if ((r -= w) < 0) return k
    }
    return entries[entries.length - 1]![0]
  }

  /** A size, small ones more likely than big ones (log-uniform in [1, max]). */
  size (max: number): number { return Math.max(1, Math.floor(Math.exp(this.float() * Math.log(max + 1)))) }

  /** `n` pseudo-random bytes (a pattern from this generator, cheap to make). */
  bytes (n: number): Buffer {
    const out = Buffer.allocUnsafe(n)
    let i = 0
    for (; i + 4 <= n; i += 4) out.writeUInt32LE(this.uint32(), i)
    for (; i < n; i++) out[i] = this.uint32() & 0xff
    return out
  }
}
