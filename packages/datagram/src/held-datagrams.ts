import { PAUSED_READ_MAX_BYTES, PAUSED_READ_MAX_DATAGRAMS } from './constants.js'
import type { DatagramAddress } from './transport.js'

/** A datagram or an error that arrived while reading was paused. */
export type Held = { data: Buffer, addr: DatagramAddress } | { error: Error }

/**
 * What arrives while reading is paused, in order, up to `PAUSED_READ_MAX_DATAGRAMS` entries
 * and `PAUSED_READ_MAX_BYTES` bytes; beyond either bound a datagram is dropped, as a full
 * kernel receive buffer drops it (asyncio stops reading, and the kernel drops).
 */
export class HeldDatagrams {
  #items: Held[] = []
  #head = 0
  #bytes = 0

  /** True while something is held. */
  get pending (): boolean {
    return this.#head < this.#items.length
  }

  /** Holds a datagram, or drops it when a bound is reached. */
  holdDatagram (data: Buffer, addr: DatagramAddress): void {
    if (this.#items.length - this.#head >= PAUSED_READ_MAX_DATAGRAMS || this.#bytes + data.length > PAUSED_READ_MAX_BYTES) return
    this.#items.push({ data, addr })
    this.#bytes += data.length
  }

  /** Holds an error (an ICMP refusal), in order with the datagrams, unless the count bound is reached. */
  holdError (error: Error): void {
    if (this.#items.length - this.#head < PAUSED_READ_MAX_DATAGRAMS) this.#items.push({ error })
  }

  /** The oldest held entry, taken out; undefined when none is left. */
  take (): Held | undefined {
    if (this.#head >= this.#items.length) return undefined
    const item = this.#items[this.#head]!
    this.#items[this.#head++] = undefined as never
    if ('data' in item) this.#bytes -= item.data.length
    if (this.#head === this.#items.length) this.clear()
    return item
  }

  /** Forgets everything held. */
  clear (): void {
    this.#items = []
    this.#head = 0
    this.#bytes = 0
  }
}
