import type { Transport } from '@wireline/core'
import type { Random } from './random.js'

/*
 * The protocols of a run. A stream probe and a buffered probe share one `Log`: the run may
 * switch between them (`setProtocol`) inside a data callback, so the trace, the bytes
 * received and every rule are kept across the switch. Each callback checks, as it comes,
 * what SPEC.md promises about that moment; the run checks the rest at its end.
 */

/** A callback fault the run injects (the one thing that may reach the exception handler). */
export interface Fault {
  /** The callback that throws (`emptyBuffer`: `getBuffer` returns an empty buffer). */
  callback: 'dataReceived' | 'bufferUpdated' | 'getBuffer' | 'emptyBuffer' | 'eofReceived' | 'pauseWriting' | 'resumeWriting'
  /** On its n-th call (1-based). */
  at: number
}

/** What the driver decides inside the protocol's callbacks. */
export interface ProbeHooks {
  /** After each delivery of bytes (pause, resume, switch protocols...). */
  onData?(): void
  /** `eofReceived`'s return value. */
  eofReturn?: boolean
  onEof?(): void
  onResumeWriting?(): void
}

export class Log {
  readonly events: string[] = []
  readonly violations: string[] = []
  readonly received: Buffer[] = []
  receivedBytes = 0
  transport: Transport | null = null
  /** The protocol the transport should be calling. */
  current: object | null = null
  /** Set by the driver around pauseReading()/resumeReading(). */
  readingPaused = false
  /** close() or abort() was called: no data callback may come after. */
  stoppedReading = false
  /** Depth of the driver's calls into the transport (connectionLost must not come inside). */
  inTransportCall = 0
  /** Depth of write()/writelines()/setWriteBufferLimits() calls (pauseWriting only comes inside). */
  inWriteCall = 0
  writePaused = false
  eof = false
  lostWith: Error | null | undefined = undefined
  readonly fault: Fault | null
  readonly faultError = new Error('injected fault')
  faultFired = false
  readonly #counts = new Map<string, number>()
  readonly #made: Promise<Transport>
  #resolveMade!: (t: Transport) => void
  readonly lost: Promise<Error | null>
  #resolveLost!: (e: Error | null) => void
  hooks: ProbeHooks = {}

  constructor (readonly rng: Random, fault: Fault | null) {
    this.fault = fault
    this.#made = new Promise((resolve) => { this.#resolveMade = resolve })
    this.lost = new Promise((resolve) => { this.#resolveLost = resolve })
  }

  get made (): Promise<Transport> { return this.#made }

  violation (what: string): void {
    this.violations.push(`${what} (after: ${this.events.slice(-6).join(' ')})`)
  }

  /** Records a callback; throws the injected fault when it is due. */
  enter (protocol: object, name: string): void {
    if (this.lostWith !== undefined) this.violation(`${name} after connectionLost`)
    else if (name !== 'connectionMade' && this.events.length === 0) this.violation(`${name} before connectionMade`)
    if (protocol !== this.current) this.violation(`${name} on a protocol the transport no longer has (setProtocol)`)
    this.events.push(name)
    const n = (this.#counts.get(name) ?? 0) + 1
    this.#counts.set(name, n)
    const f = this.fault
    if (f !== null && !this.faultFired && f.callback === name && f.at === n) {
      this.faultFired = true
      throw this.faultError
    }
  }

  #checkDelivery (name: string): void {
    if (this.readingPaused) this.violation(`${name} while reading is paused`)
    if (this.stoppedReading) this.violation(`${name} after close()/abort()`)
    if (this.eof) this.violation(`${name} after eofReceived`)
  }

  made_ (protocol: object, transport: Transport): void {
    this.transport = transport
    this.#resolveMade(transport)
    this.enter(protocol, 'connectionMade')
  }

  data (protocol: object, data: Uint8Array, name: string): void {
    this.#checkDelivery(name)
    if (data.length === 0) this.violation(`${name} with no bytes`)
    this.received.push(Buffer.from(data))
    this.receivedBytes += data.length
    this.enter(protocol, name)
    this.hooks.onData?.()
  }

  getBuffer (protocol: object, hint: number): Uint8Array {
    this.#checkDelivery('getBuffer')
    if (!Number.isInteger(hint) || (hint < 1 && hint !== -1)) this.violation(`getBuffer(${hint}): not a size hint`)
    const f = this.fault
    const n = (this.#counts.get('getBuffer') ?? 0) + 1
    const empty = f !== null && !this.faultFired && f.callback === 'emptyBuffer' && f.at === n
    this.enter(protocol, 'getBuffer')
    if (empty) {
      this.faultFired = true
      return new Uint8Array(0)
    }
    return new Uint8Array(this.rng.size(64 * 1024))
  }

  eofReceived (protocol: object): boolean | undefined {
    if (this.stoppedReading) this.violation('eofReceived after close()/abort()')
    if (this.readingPaused) this.violation('eofReceived while reading is paused')
    if (this.eof) this.violation('eofReceived twice')
    this.eof = true
    this.enter(protocol, 'eofReceived')
    this.hooks.onEof?.()
    return this.hooks.eofReturn
  }

  pauseWriting (protocol: object): void {
    const t = this.transport
    if (this.writePaused) this.violation('pauseWriting twice without resumeWriting')
    if (this.inWriteCall === 0) this.violation('pauseWriting outside write()/writelines()/setWriteBufferLimits()')
    if (t !== null) {
      const [, high] = t.getWriteBufferLimits()
      if (!(t.getWriteBufferSize() > high)) this.violation(`pauseWriting at ${t.getWriteBufferSize()} bytes, not over high ${high}`)
    }
    this.writePaused = true
    this.enter(protocol, 'pauseWriting')
  }

  resumeWriting (protocol: object): void {
    const t = this.transport
    if (!this.writePaused) this.violation('resumeWriting without pauseWriting')
    if (this.inWriteCall > 0) this.violation('resumeWriting inside write()/writelines()/setWriteBufferLimits()')
    if (t !== null) {
      const [low] = t.getWriteBufferLimits()
      if (t.getWriteBufferSize() > low) this.violation(`resumeWriting at ${t.getWriteBufferSize()} bytes, over low ${low}`)
    }
    this.writePaused = false
    try {
      this.enter(protocol, 'resumeWriting')
    } finally {
      // the driver waits for this even when the injected fault throws here (seed 3514)
      this.hooks.onResumeWriting?.()
    }
  }

  connectionLost (protocol: object, exc: Error | null): void {
    if (this.inTransportCall > 0) this.violation('connectionLost synchronously inside a transport call')
    if (this.lostWith !== undefined) this.violation('connectionLost twice')
    this.enter(protocol, 'connectionLost')
    this.lostWith = exc
    this.#resolveLost(exc)
  }
}

/** A stream `Protocol` that reports to its log. */
export class StreamProbe {
  constructor (readonly log: Log) {}
  connectionMade (t: Transport): void { this.log.made_(this, t) }
  dataReceived (data: Uint8Array): void { this.log.data(this, data, 'dataReceived') }
  eofReceived (): boolean | undefined { return this.log.eofReceived(this) }
  pauseWriting (): void { this.log.pauseWriting(this) }
  resumeWriting (): void { this.log.resumeWriting(this) }
  connectionLost (exc: Error | null): void { this.log.connectionLost(this, exc) }
}

/** A `BufferedProtocol` that reports to its log: a fresh buffer of a random size each time. */
export class BufferedProbe {
  #last: Uint8Array = new Uint8Array(0)
  constructor (readonly log: Log) {}
  connectionMade (t: Transport): void { this.log.made_(this, t) }
  getBuffer (hint: number): Uint8Array {
    this.#last = this.log.getBuffer(this, hint)
    return this.#last
  }

  bufferUpdated (nbytes: number): void {
    if (!Number.isInteger(nbytes) || nbytes < 1 || nbytes > this.#last.length) {
      this.log.violation(`bufferUpdated(${nbytes}) with a buffer of ${this.#last.length} bytes`)
    }
    this.log.data(this, this.#last.subarray(0, nbytes), 'bufferUpdated')
  }

  eofReceived (): boolean | undefined { return this.log.eofReceived(this) }
  pauseWriting (): void { this.log.pauseWriting(this) }
  resumeWriting (): void { this.log.resumeWriting(this) }
  connectionLost (exc: Error | null): void { this.log.connectionLost(this, exc) }
}

export type ProbeKind = 'stream' | 'buffered'

export function makeProbe (log: Log, kind: ProbeKind): StreamProbe | BufferedProbe {
  return kind === 'stream' ? new StreamProbe(log) : new BufferedProbe(log)
}
