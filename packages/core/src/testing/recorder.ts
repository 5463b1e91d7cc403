import type { Address, BaseTransport, Transport } from '../transport.js'
import { Deferred } from './deferred.js'

/**
 * Recording protocols: each records its callbacks, in order, as a trace of event names
 * (`events`), keeps what it received, and exposes promises for the moments tests wait for.
 * Behaviour is set with hooks (`onConnectionMade`, `onData`, ...) and plain options
 * (`eofReturn`, `throwIn`). They are plain classes with asyncio's method names, so they work
 * with every family without depending on it.
 */

/** Options every recorder takes. */
export interface RecorderOptions<T extends BaseTransport = Transport> {
  /** Throw this error from the named callback (the test of a fatal or reported error). */
  throwIn?: { callback: string, error?: Error, times?: number }
  /** Called after the recorder recorded `connectionMade`. */
  onConnectionMade?(transport: T): void
  /** Called after the recorder recorded `connectionLost`. */
  onConnectionLost?(exc: Error | null): void
  /** Called after the recorder recorded `pauseWriting`. */
  onPauseWriting?(transport: T): void
  /** Called after the recorder recorded `resumeWriting`. */
  onResumeWriting?(transport: T): void
}

function concat (chunks: Uint8Array[]): Buffer {
  return Buffer.concat(chunks.map((c) => (Buffer.isBuffer(c) ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength))))
}

interface Waiter { check: () => boolean, resolve: () => void }

/** What every recorder shares: the trace, connectionMade/Lost, flow-control callbacks. */
export class BaseRecorder<T extends BaseTransport = Transport> {
  /** Every callback, in call order (subprocess events carry their fd: `pipeDataReceived(1)`). */
  readonly events: string[] = []
  transport: T | null = null
  /** `undefined` until `connectionLost`, then its argument. */
  lostWith: Error | null | undefined = undefined
  readonly #made = new Deferred<T>()
  readonly #lost = new Deferred<Error | null>()
  /** The options it was made with; `hook()` changes them. */
  readonly options: RecorderOptions<T>
  #throws = 0
  #waiters: Waiter[] = []

  constructor (options: RecorderOptions<T> = {}) {
    this.options = options
  }

  /**
   * Adds or replaces behaviour hooks after construction (`onData`, `onResumeWriting`, ...: the
   * names of this recorder's options), for hooks that need state made after the protocol.
   */
  hook (hooks: Partial<this['options']>): this {
    Object.assign(this.options, hooks)
    return this
  }

  /** Resolves with the transport once `connectionMade` ran. */
  get made (): Promise<T> { return this.#made.promise }
  /** Resolves with `connectionLost`'s argument. */
  get lost (): Promise<Error | null> { return this.#lost.promise }

  /** The trace with runs of the same event folded into one (`dataReceived` × 40 → one entry). */
  trace (): string[] {
    const out: string[] = []
    for (const e of this.events) if (out[out.length - 1] !== e) out.push(e)
    return out
  }

  /** How many times `name` was called. */
  count (name: string): number {
    return this.events.filter((e) => e === name).length
  }

  /** Resolves when `check()` holds (checked after every callback). */
  async until (check: () => boolean): Promise<void> {
    if (check()) return
    await new Promise<void>((resolve) => { this.#waiters.push({ check, resolve }) })
  }

  /** Appends `event` to the trace, wakes the waiters, and throws if `throwIn` names it. */
  protected record (event: string): void {
    this.events.push(event)
    const name = event.replace(/\(.*$/, '')
    const t = this.options.throwIn
    if (t !== undefined && t.callback === name && this.#throws < (t.times ?? 1)) {
      this.#throws++
      this.#poke()
      throw t.error ?? new Error(`test error in ${name}`)
    }
  }

  /** Wakes the `until()` waiters whose condition now holds. */
  protected poke (): void { this.#poke() }

  /** Resolves the waiters whose check passes. */
  #poke (): void {
    if (this.#waiters.length === 0) return
    const still: Waiter[] = []
    for (const w of this.#waiters) {
      if (w.check()) w.resolve()
      else still.push(w)
    }
    this.#waiters = still
  }

  /** Records the call and keeps the transport. */
  connectionMade (transport: T): void {
    this.transport = transport
    this.#made.resolve(transport)
    try {
      this.record('connectionMade')
      this.options.onConnectionMade?.(transport)
    } finally {
      this.#poke()
    }
  }

  /** Records the call and resolves `lost`. */
  connectionLost (exc: Error | null): void {
    this.lostWith = exc
    this.#lost.resolve(exc)
    try {
      this.record('connectionLost')
      this.options.onConnectionLost?.(exc)
    } finally {
      this.#poke()
    }
  }

  /** Records the call. */
  pauseWriting (): void {
    try {
      this.record('pauseWriting')
      this.options.onPauseWriting?.(this.transport!)
    } finally {
      this.#poke()
    }
  }

  /** Records the call. */
  resumeWriting (): void {
    try {
      this.record('resumeWriting')
      this.options.onResumeWriting?.(this.transport!)
    } finally {
      this.#poke()
    }
  }
}

/** Options of `RecordingProtocol`. */
export interface StreamRecorderOptions extends RecorderOptions<Transport> {
  /** What `eofReceived` returns (default: undefined, which closes the transport). */
  eofReturn?: boolean
  /** Called with each chunk `dataReceived` got, after it is recorded. */
  onData?(data: Uint8Array, transport: Transport): void
  /** Called after the recorder recorded `eofReceived`. */
  onEof?(transport: Transport): void
}

/** A recording stream `Protocol`. */
export class RecordingProtocol extends BaseRecorder<Transport> {
  readonly chunks: Uint8Array[] = []
  bytes = 0
  readonly #eof = new Deferred<void>()
  declare readonly options: StreamRecorderOptions

  constructor (options: StreamRecorderOptions = {}) {
    super(options)
  }

  /** Resolves when `eofReceived` ran. */
  get eof (): Promise<void> { return this.#eof.promise }

  /** Everything received, in one buffer. */
  received (): Buffer { return concat(this.chunks) }

  /** Resolves once at least `n` bytes arrived. */
  async untilBytes (n: number): Promise<void> { await this.until(() => this.bytes >= n) }

  /** Records the call and keeps a copy of the bytes. */
  dataReceived (data: Uint8Array): void {
    this.chunks.push(data)
    this.bytes += data.length
    try {
      this.record('dataReceived')
      this.options.onData?.(data, this.transport!)
    } finally {
      this.poke()
    }
  }

  /** Records the call; returns `eofReturn`. */
  eofReceived (): boolean | undefined {
    this.#eof.resolve()
    try {
      this.record('eofReceived')
      this.options.onEof?.(this.transport!)
    } finally {
      this.poke()
    }
    return this.options.eofReturn
  }
}

/** Options of `RecordingBufferedProtocol`. */
export interface BufferedRecorderOptions extends RecorderOptions<Transport> {
  /** Size of the buffer `getBuffer` returns (default 64 KiB); one buffer, reused. */
  bufferSize?: number
  /** Return this from `getBuffer` instead (an empty buffer, say). */
  getBufferReturns?: () => Uint8Array
  /** What `eofReceived` returns (default: undefined, which closes the transport). */
  eofReturn?: boolean
  /** Called after each `bufferUpdated`, once the bytes are copied out. */
  onBufferUpdated?(nbytes: number, transport: Transport): void
}

/** A recording `BufferedProtocol`: one reusable buffer; received bytes are copied out. */
export class RecordingBufferedProtocol extends BaseRecorder<Transport> {
  readonly buffer: Uint8Array
  readonly chunks: Uint8Array[] = []
  readonly hints: number[] = []
  readonly updates: number[] = []
  bytes = 0
  #last: Uint8Array | null = null
  readonly #eof = new Deferred<void>()
  declare readonly options: BufferedRecorderOptions

  constructor (options: BufferedRecorderOptions = {}) {
    super(options)
    this.buffer = new Uint8Array(options.bufferSize ?? 64 * 1024)
  }

  get eof (): Promise<void> { return this.#eof.promise }
  /** Every byte received so far, in one buffer. */
  received (): Buffer { return concat(this.chunks) }
  /** Resolves once `n` bytes have been received in all. */
  async untilBytes (n: number): Promise<void> { await this.until(() => this.bytes >= n) }

  /** Records the call; returns the one reused buffer (or `getBufferReturns()`). */
  getBuffer (sizeHint: number): Uint8Array {
    this.hints.push(sizeHint)
    try {
      this.record('getBuffer')
    } finally {
      this.poke()
    }
    this.#last = this.options.getBufferReturns?.() ?? this.buffer
    return this.#last
  }

  /** Records the call and copies the bytes out of the buffer. */
  bufferUpdated (nbytes: number): void {
    this.updates.push(nbytes)
    const from = this.#last ?? this.buffer
    if (nbytes < 1 || nbytes > from.length) {
      throw new RangeError(`bufferUpdated(${nbytes}) with a buffer of ${from.length} bytes`)
    }
    this.chunks.push(Buffer.from(from.subarray(0, nbytes)))
    this.bytes += nbytes
    try {
      this.record('bufferUpdated')
      this.options.onBufferUpdated?.(nbytes, this.transport!)
    } finally {
      this.poke()
    }
  }

  /** Records the call; returns `eofReturn`. */
  eofReceived (): boolean | undefined {
    this.#eof.resolve()
    try {
      this.record('eofReceived')
    } finally {
      this.poke()
    }
    return this.options.eofReturn
  }
}

/** Options of `RecordingDatagramProtocol`. */
export interface DatagramRecorderOptions<T extends BaseTransport> extends RecorderOptions<T> {
  /** Called with each datagram, after it is recorded. */
  onDatagram?(data: Uint8Array, addr: Address, transport: T): void
  /** Called with each error `errorReceived` got, after it is recorded. */
  onError?(exc: Error, transport: T): void
}

/** A recording `DatagramProtocol`. */
export class RecordingDatagramProtocol<T extends BaseTransport = BaseTransport> extends BaseRecorder<T> {
  readonly datagrams: Array<[data: Uint8Array, addr: Address]> = []
  readonly errors: Error[] = []
  declare readonly options: DatagramRecorderOptions<T>

  constructor (options: DatagramRecorderOptions<T> = {}) {
    super(options)
  }

  /** Resolves once `n` datagrams have been received in all. */
  async untilDatagrams (n: number): Promise<void> { await this.until(() => this.datagrams.length >= n) }
  /** Resolves once `errorReceived` has been called `n` times. */
  async untilErrors (n: number): Promise<void> { await this.until(() => this.errors.length >= n) }

  /** Records the call and keeps the datagram and its address. */
  datagramReceived (data: Uint8Array, addr: Address): void {
    this.datagrams.push([data, addr])
    try {
      this.record('datagramReceived')
      this.options.onDatagram?.(data, addr, this.transport!)
    } finally {
      this.poke()
    }
  }

  /** Records the call and keeps the error. */
  errorReceived (exc: Error): void {
    this.errors.push(exc)
    try {
      this.record('errorReceived')
      this.options.onError?.(exc, this.transport!)
    } finally {
      this.poke()
    }
  }
}

/** Options of `RecordingSubprocessProtocol`. */
export interface SubprocessRecorderOptions<T extends BaseTransport> extends RecorderOptions<T> {
  /** Called with each chunk of a child's output, after it is recorded. */
  onPipeData?(fd: number, data: Uint8Array, transport: T): void
  /** Called after the recorder recorded `processExited`. */
  onExited?(transport: T): void
}

/** A recording `SubprocessProtocol`: output kept per fd. */
export class RecordingSubprocessProtocol<T extends BaseTransport = BaseTransport> extends BaseRecorder<T> {
  readonly output = new Map<number, Uint8Array[]>()
  readonly pipeErrors = new Map<number, Error | null>()
  readonly #exited = new Deferred<void>()
  declare readonly options: SubprocessRecorderOptions<T>

  constructor (options: SubprocessRecorderOptions<T> = {}) {
    super(options)
  }

  get exited (): Promise<void> { return this.#exited.promise }

  /** Everything received on `fd`. */
  received (fd: number): Buffer { return concat(this.output.get(fd) ?? []) }

  /** Records the call (with its fd) and keeps a copy of the bytes, per fd. */
  pipeDataReceived (fd: number, data: Uint8Array): void {
    let list = this.output.get(fd)
    if (list === undefined) this.output.set(fd, list = [])
    list.push(data)
    try {
      this.record(`pipeDataReceived(${fd})`)
      this.options.onPipeData?.(fd, data, this.transport!)
    } finally {
      this.poke()
    }
  }

  /** Records the call (with its fd). */
  pipeConnectionLost (fd: number, exc: Error | null): void {
    this.pipeErrors.set(fd, exc)
    try {
      this.record(`pipeConnectionLost(${fd})`)
    } finally {
      this.poke()
    }
  }

  /** Records the call. */
  processExited (): void {
    this.#exited.resolve()
    try {
      this.record('processExited')
      this.options.onExited?.(this.transport!)
    } finally {
      this.poke()
    }
  }
}
