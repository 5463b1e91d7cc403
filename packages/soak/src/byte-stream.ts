import { createHash } from 'node:crypto'
import type { Transport } from '@wireline/core'
import { Log, makeProbe } from './probe.js'
import type { Fault, ProbeKind } from './probe.js'
import { makePair } from './pairs.js'
import type { Pair, StreamKind } from './pairs.js'
import type { Random } from './random.js'
import { later } from './timing.js'
import type { Outcome } from './outcome.js'

/*
 * One run over a byte-stream transport (TCP, Unix, TLS, a pipe): the peer sends A in random
 * chunks at a random pace and ends (FIN, or a reset); the transport writes B the same way
 * through write/writelines, changing its limits on the way, and ends with close, writeEof,
 * abort (early or late) or nothing; the protocol pauses and resumes reading at random moments,
 * may switch between a stream and a buffered protocol, and may have one callback throw.
 */

type Ending = 'close' | 'closeAfterEof' | 'writeEof' | 'abort' | 'abortEarly' | 'none'
type Pace = 'sync' | 'immediate' | 'timer'

export interface StreamPlan {
  kind: StreamKind
  protocol: ProbeKind
  inBytes: number
  outBytes: number
  peerChunk: number
  peerPace: Pace
  peerPauses: boolean
  peerEnd: 'end' | 'reset' | 'endOnFin'
  resetAt: number
  writeChunk: number
  writePace: Pace
  writelines: number
  respectFlow: boolean
  limits: { high?: number, low?: number } | null
  limitChangeAt: number | null
  ending: Ending
  abortAt: number
  eofReturn: boolean
  pauseProb: number
  switchProb: number
  fault: Fault | null
}

/** At most this many writes a side (a run stays short even with 1-byte chunks on a timer). */
const MAX_STEPS = 64

const reads = (k: StreamKind): boolean => k !== 'write-pipe'
const writes = (k: StreamKind): boolean => k !== 'read-pipe'
const isTls = (k: StreamKind): boolean => k.startsWith('tls')
const isPipe = (k: StreamKind): boolean => k.endsWith('pipe')

/** The plan of a run, from its generator alone. */
export function planStream (rng: Random, kind: StreamKind): StreamPlan {
  const r = reads(kind)
  const w = writes(kind)
  const endings: Ending[] = ['close', 'closeAfterEof', 'abort', 'abortEarly', 'none']
  if (w && !isTls(kind)) endings.push('writeEof', 'writeEof')
  let ending = rng.pick(endings)
  if (!r && (ending === 'closeAfterEof' || ending === 'none')) ending = 'close'
  let peerEnd: StreamPlan['peerEnd'] = rng.weighted({ end: 6, reset: kind.startsWith('tcp') ? 1 : 0, endOnFin: isTls(kind) || isPipe(kind) ? 0 : 2 })
  // Someone has to end the connection: waiting for a FIN both ways would never finish.
  if (peerEnd === 'endOnFin' && (ending === 'none' || ending === 'closeAfterEof')) peerEnd = 'end'
  const faults: Array<Fault['callback']> = w ? ['pauseWriting', 'resumeWriting'] : []
  if (r) faults.push('dataReceived', 'bufferUpdated', 'getBuffer', 'emptyBuffer', 'eofReceived')
  const inBytes = r ? rng.pick([0, rng.size(4096), rng.size(256 * 1024), rng.size(1024 * 1024)]) : 0
  const outBytes = w ? rng.pick([0, rng.size(4096), rng.size(256 * 1024), rng.size(1024 * 1024)]) : 0
  const high = rng.size(128 * 1024)
  return {
    kind,
    protocol: r ? rng.pick(['stream', 'buffered'] as const) : 'stream',
    inBytes,
    outBytes,
    peerChunk: rng.size(64 * 1024),
    peerPace: rng.pick(['sync', 'immediate', 'timer'] as const),
    peerPauses: rng.chance(0.3),
    peerEnd,
    resetAt: rng.int(0, inBytes),
    writeChunk: rng.size(64 * 1024),
    writePace: rng.pick(['sync', 'immediate', 'timer'] as const),
    writelines: rng.pick([0, 0, rng.int(2, 5)]),
    respectFlow: rng.chance(0.6),
    limits: rng.chance(0.5) ? (rng.chance(0.3) ? { high } : { high, low: rng.int(0, high) }) : null,
    limitChangeAt: rng.chance(0.3) ? rng.int(0, 8) : null,
    ending,
    abortAt: rng.int(0, 8),
    // TLS closes at EOF whatever eofReceived returns (and warns when it returns true)
    eofReturn: !isTls(kind) && rng.chance(0.5),
    pauseProb: rng.pick([0, 0.1, 0.5]),
    switchProb: r ? rng.pick([0, 0, 0.05]) : 0,
    fault: rng.chance(0.15) ? { callback: rng.pick(faults), at: rng.int(1, 4) } : null,
  }
}

function sha (buffers: Buffer[]): string {
  const h = createHash('sha256')
  for (const b of buffers) h.update(b)
  return h.digest('hex')
}

/** Compares what arrived with what was sent; returns the bytes lost when all of it was due. */
function compare (log: Log, what: string, sent: Buffer, got: Buffer[], gotBytes: number, complete: boolean): number {
  if (gotBytes > sent.length) {
    log.violation(`${what}: ${gotBytes} bytes arrived of ${sent.length} sent`)
    return 0
  }
  if (sha(got) !== sha([sent.subarray(0, gotBytes)])) {
    log.violation(`${what}: the ${gotBytes} bytes that arrived are not the first ${gotBytes} sent (SHA-256 differs)`)
  }
  if (complete && gotBytes < sent.length) {
    log.violation(`${what}: ${sent.length - gotBytes} of ${sent.length} bytes lost`)
    return sent.length - gotBytes
  }
  return 0
}

function pace (rng: Random, p: Pace): Promise<void> | null {
  if (p === 'sync' && rng.chance(0.8)) return null
  if (p === 'timer') return later(rng.int(0, 2))
  return new Promise((resolve) => setImmediate(resolve))
}

/** Runs the driver's call into the transport, with the depth counters the probe checks. */
function call<T> (log: Log, write: boolean, fn: () => T): T {
  log.inTransportCall++
  if (write) log.inWriteCall++
  try {
    return fn()
  } finally {
    log.inTransportCall--
    if (write) log.inWriteCall--
  }
}

export async function runStream (rng: Random, plan: StreamPlan): Promise<Outcome> {
  const log = new Log(rng, plan.fault)
  const A = rng.bytes(plan.inBytes)
  const B = rng.bytes(plan.outBytes)
  let resetDone = false
  let aborted = false
  let closeCalledBeforeEof = false
  let writeEofCalled = false
  /** Bytes handed to write()/writelines() before the transport began closing: what must arrive. */
  let accepted = 0

  // reading: pause/resume and switches, decided inside the data callbacks
  const resume = (t: Transport): void => {
    log.readingPaused = false
    call(log, false, () => t.resumeReading())
    if (!t.isClosing() && !log.eof && !t.isReading()) log.violation('isReading() false after resumeReading()')
  }
  log.hooks.eofReturn = plan.eofReturn
  log.hooks.onData = () => {
    const t = log.transport!
    if (plan.switchProb > 0 && rng.chance(plan.switchProb)) {
      const next = makeProbe(log, rng.pick(['stream', 'buffered'] as const))
      log.current = next
      call(log, false, () => t.setProtocol(next as never))
    }
    if (!log.readingPaused && rng.chance(plan.pauseProb)) {
      call(log, false, () => t.pauseReading())
      log.readingPaused = true
      if (!t.isClosing() && t.isReading()) log.violation('isReading() true after pauseReading()')
      const how = rng.pick(['immediate', 'timer', 'microtask'] as const)
      const go = (): void => { if (log.readingPaused) resume(t) }
      if (how === 'immediate') setImmediate(go)
      else if (how === 'timer') setTimeout(go, rng.int(0, 3))
      else queueMicrotask(go)
    }
  }

  const first = makeProbe(log, plan.protocol)
  log.current = first
  let made = 0
  const factory = (): object => {
    if (++made > 1) log.violation('the protocol factory was called twice for one connection')
    return first
  }
  const pair: Pair = await makePair(plan.kind, factory, plan.protocol === 'buffered', log.made)
  if (pair.upgraded !== undefined) log.transport = pair.upgraded
  const t = pair.upgraded ?? await log.made

  // the peer: sends A, ends or resets; reads and sometimes stalls
  const peerGot: Buffer[] = []
  let peerGotBytes = 0
  let finSeen = false
  const fin = new Promise<void>((resolve) => {
    if (pair.fromTransport === null) return
    pair.fromTransport.on('data', (c: Buffer) => {
      peerGot.push(c)
      peerGotBytes += c.length
      if (plan.peerPauses && rng.chance(0.05)) {
        pair.fromTransport!.pause()
        setTimeout(() => pair.fromTransport!.resume(), rng.int(0, 5))
      }
    })
    pair.fromTransport.once('end', () => { finSeen = true; resolve() })
    pair.fromTransport.once('close', () => resolve())
  })
  const peerSends = (async () => {
    const out = pair.toTransport
    if (out === null) return
    let sent = 0
    while (sent < A.length) {
      if (out.destroyed || out.writableEnded) return
      if (plan.peerEnd === 'reset' && sent >= plan.resetAt) break
      const n = Math.min(A.length - sent, Math.max(rng.size(plan.peerChunk), Math.ceil(A.length / MAX_STEPS)))
      out.write(A.subarray(sent, sent + n))
      sent += n
      const p = pace(rng, plan.peerPace)
      if (p !== null) await p
    }
    if (plan.peerEnd === 'reset' && pair.socket !== null) {
      resetDone = true
      pair.socket.resetAndDestroy()
      return
    }
    if (plan.peerEnd === 'endOnFin') await fin
    if (!out.destroyed) out.end()
  })()

  // the transport's side: writes B, changes limits, ends
  const onceResumed = (): Promise<void> => new Promise((resolve) => {
    log.hooks.onResumeWriting = () => { log.hooks.onResumeWriting = undefined; resolve() }
    void log.lost.then(() => resolve())
  })
  const eofOrLost = new Promise<void>((resolve) => {
    log.hooks.onEof = () => resolve()
    void log.lost.then(() => resolve())
  })
  const driver = (async () => {
    if (plan.limits !== null) call(log, true, () => t.setWriteBufferLimits(plan.limits!))
    let written = 0
    let i = 0
    while (written < B.length && log.lostWith === undefined && !aborted) {
      if (plan.ending === 'abortEarly' && i === plan.abortAt) break
      if (plan.limitChangeAt === i) {
        const high = rng.size(128 * 1024)
        call(log, true, () => t.setWriteBufferLimits({ high, low: rng.int(0, high) }))
      }
      if (plan.writelines > 0 && rng.chance(0.3)) {
        const parts: Buffer[] = []
        for (let k = 0; k < plan.writelines && written < B.length; k++) {
          const n = Math.min(B.length - written, Math.max(rng.size(plan.writeChunk), Math.ceil(B.length / MAX_STEPS)))
          parts.push(B.subarray(written, written + n))
          written += n
        }
        const n = parts.reduce((sum, part) => sum + part.length, 0)
        if (!t.isClosing()) accepted += n
        call(log, true, () => t.writelines(parts))
      } else {
        const n = Math.min(B.length - written, Math.max(rng.size(plan.writeChunk), Math.ceil(B.length / MAX_STEPS)))
        if (!t.isClosing()) accepted += n
        call(log, true, () => t.write(B.subarray(written, written + n)))
        written += n
      }
      i++
      if (plan.respectFlow && log.writePaused) await onceResumed()
      const p = pace(rng, plan.writePace)
      if (p !== null) await p
    }
    if (log.lostWith !== undefined) return
    switch (plan.ending) {
      case 'abort':
      case 'abortEarly':
        aborted = true
        log.stoppedReading = true
        call(log, false, () => t.abort())
        break
      case 'close':
        if (!log.eof) closeCalledBeforeEof = true
        log.stoppedReading = true
        call(log, false, () => t.close())
        break
      case 'closeAfterEof':
        await eofOrLost
        if (log.lostWith === undefined) { log.stoppedReading = true; call(log, false, () => t.close()) }
        break
      case 'writeEof':
        writeEofCalled = true
        call(log, false, () => t.writeEof())
        await eofOrLost
        if (log.lostWith === undefined && plan.eofReturn) { log.stoppedReading = true; call(log, false, () => t.close()) }
        break
      case 'none':
        await eofOrLost
        if (log.lostWith === undefined && plan.eofReturn) { log.stoppedReading = true; call(log, false, () => t.close()) }
        break
    }
  })()
  void driver.catch((err: unknown) => { log.violation(`the transport threw: ${String(err)}`) })

  await Promise.all([log.lost, pair.closed, driver.catch(() => {}), peerSends.catch(() => {})])
  // checks at the end
  const faulted = log.faultFired
  const fatal = faulted && plan.fault !== null && plan.fault.callback !== 'pauseWriting' && plan.fault.callback !== 'resumeWriting'
  if (fatal && plan.fault!.callback !== 'emptyBuffer' && log.lostWith !== log.faultError) {
    log.violation(`connectionLost(${String(log.lostWith)}), not the injected fault`)
  }
  if (!faulted && !resetDone && log.lostWith !== null) log.violation(`connectionLost(${String(log.lostWith)}) on a clean run`)
  let lost = 0
  if (reads(plan.kind)) {
    const complete = !aborted && !fatal && !resetDone && !closeCalledBeforeEof && plan.ending !== 'abortEarly'
    lost += compare(log, 'peer → transport', A, log.received, log.receivedBytes, complete)
    if (complete && !log.eof) log.violation('no eofReceived though the peer ended')
  }
  if (writes(plan.kind) && pair.fromTransport !== null) {
    // A close while the peer still sends can end in a reset (the kernel's answer to unread
    // bytes), which may destroy what was in flight at the peer: TCP's rule, not ours.
    const complete = !aborted && !fatal && !resetDone && !closeCalledBeforeEof
    lost += compare(log, 'transport → peer', B.subarray(0, complete ? accepted : B.length), peerGot, peerGotBytes, complete)
    if (complete && !finSeen) log.violation('the peer saw no end after close()/writeEof()')
  }
  void writeEofCalled
  await pair.cleanup()
  return { violations: log.violations, lostBytes: lost, faultFired: faulted, faultError: faulted ? log.faultError : null, events: log.events }
}
