import { DEFAULT_HIGH_WATER, DEFAULT_LOW_WATER } from './constants.js'
import { invalidArgType, outOfRange, validateOptions } from './machinery/args.js'
import { callExceptionHandler } from './exception-handler.js'
import { publishWriting } from './instrumentation.js'
import type { WriteBufferLimits } from './transport.js'

const LIMIT_NAMES = ['high', 'low'] as const

/** What the engine needs from its transport: the protocol to call, and itself for reports. */
export interface FlowControlHost {
  /** The protocol that receives `pauseWriting` / `resumeWriting` now (it can change). */
  flowProtocol(): {
    /** Called when the buffer goes strictly over the high-water mark. */
    pauseWriting?(): void
    /** Called when the buffer drained to the low-water mark, after a pause. */
    resumeWriting?(): void
  } | null
}

function checkLimit (value: unknown, name: string): number | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'number') throw invalidArgType(`${name} must be a number, got ${typeof value}`)
  if (!Number.isInteger(value) || value < 0) {
    throw outOfRange(`${name} must be an integer >= 0, got ${value}`)
  }
  return value
}

/**
 * Write flow control, exactly as asyncio's `_FlowControlMixin`: the protocol is paused when
 * the buffer goes strictly over `high` (synchronously, inside the call that crossed it) and
 * resumed once it is at or below `low`, only after a pause. Pure logic: the transport tells
 * the engine the buffer size after every change.
 */
export class WriteFlowControl {
  #high = DEFAULT_HIGH_WATER
  #low = DEFAULT_LOW_WATER
  #paused = false
  readonly #host: FlowControlHost
  readonly #transport: unknown

  /**
   * `host` gives the protocol to call; a subclass that has `flowProtocol()` itself (a
   * transport's write side) leaves it out. `transport` is what reports and diagnostics name
   * (the host by default).
   */
  constructor (host?: FlowControlHost, transport?: unknown) {
    this.#host = host ?? (this as unknown as FlowControlHost)
    this.#transport = transport ?? this.#host
  }

  /** True between a `pauseWriting()` and its `resumeWriting()`. */
  get paused (): boolean { return this.#paused }
  get high (): number { return this.#high }
  get low (): number { return this.#low }

  /** `[low, high]`, as asyncio's `get_write_buffer_limits()`. */
  getLimits (): [low: number, high: number] {
    return [this.#low, this.#high]
  }

  /**
   * Validates and applies new limits, then pauses at once if `size` is over the new high
   * mark (never resumes). Invalid limits throw and leave the old ones in force.
   */
  setLimits (limits: WriteBufferLimits | null | undefined, size: number): void {
    if (limits !== undefined && limits !== null && typeof limits !== 'object') {
      throw invalidArgType(`limits must be an object like { high, low }, got ${typeof limits}`)
    }
    validateOptions(limits, 'setWriteBufferLimits()', LIMIT_NAMES) // a typo such as { hihg } must not pass
    let high = checkLimit(limits?.high, 'high')
    let low = checkLimit(limits?.low, 'low')
    if (high === undefined) {
      high = low === undefined ? DEFAULT_HIGH_WATER : 4 * low
    }
    if (low === undefined) low = Math.floor(high / 4)
    if (low > high) {
      throw outOfRange(`high (${high}) must be >= low (${low}) must be >= 0`)
    }
    this.#high = high
    this.#low = low
    this.maybePause(size)
  }

  /**
   * Takes over another engine's state without calling the protocol (a transport that
   * replaces another, as startTls does, keeps the protocol's pause and the limits).
   */
  carryOver (paused: boolean, limits: readonly [low: number, high: number]): void {
    this.#paused = paused
    this.#low = limits[0]
    this.#high = limits[1]
  }

  /** Pauses the protocol if `size` is strictly over the high mark and it is not paused. */
  maybePause (size: number): void {
    if (size <= this.#high || this.#paused) return
    this.#paused = true
    const protocol = this.#host.flowProtocol()
    publishWriting(true, this.#transport, protocol)
    if (protocol === null || typeof protocol.pauseWriting !== 'function') return
    try {
      protocol.pauseWriting()
    } catch (exception) {
      callExceptionHandler({ message: 'protocol.pauseWriting() failed', exception, transport: this.#transport, protocol })
    }
  }

  /** Resumes the protocol if it is paused and `size` is at or below the low mark. */
  maybeResume (size: number): void {
    if (!this.#paused || size > this.#low) return
    this.#paused = false
    const protocol = this.#host.flowProtocol()
    publishWriting(false, this.#transport, protocol)
    if (protocol === null || typeof protocol.resumeWriting !== 'function') return
    try {
      protocol.resumeWriting()
    } catch (exception) {
      callExceptionHandler({ message: 'protocol.resumeWriting() failed', exception, transport: this.#transport, protocol })
    }
  }
}
