import { createHash } from 'node:crypto'
import { createDatagramEndpoint } from '@wireline/datagram'
import type { DatagramTransport } from '@wireline/datagram'
import { checkTrace } from '@wireline/core/testing'
import type { Outcome } from './outcome.js'
import type { Random } from './random.js'
import { bounded, later } from './timing.js'

/*
 * One UDP run: a connected sender and a receiver on 127.0.0.1; the sender sends a burst of
 * datagrams (empty ones included) at a random pace; the receiver pauses and resumes reading
 * at random moments and may throw once from datagramReceived (reported; the endpoint stays
 * open). Every datagram must arrive once, whole and in order (loopback, a burst well under
 * the paused-read bound and the kernel's buffer), from the sender's address; then both end
 * by close or abort.
 */

export interface DatagramPlan {
  count: number
  maxSize: number
  pace: 'sync' | 'immediate' | 'timer'
  pauseProb: number
  faultAt: number | null
  senderEnd: 'close' | 'abort'
  receiverEnd: 'close' | 'abort'
  high: number | null
}

export function planDatagram (rng: Random): DatagramPlan {
  return {
    count: rng.int(0, 48),
    maxSize: rng.pick([0, 64, 1400]),
    pace: rng.pick(['sync', 'immediate', 'timer'] as const),
    pauseProb: rng.pick([0, 0.2]),
    faultAt: rng.chance(0.15) ? rng.int(1, 8) : null,
    senderEnd: rng.pick(['close', 'abort'] as const),
    receiverEnd: rng.pick(['close', 'abort'] as const),
    high: rng.chance(0.3) ? rng.size(8 * 1024) : null,
  }
}

const digest = (d: Uint8Array): string => createHash('sha256').update(d).digest('hex')

class Recorder {
  readonly events: string[] = []
  readonly got: Uint8Array[] = []
  readonly violations: string[] = []
  transport: DatagramTransport | null = null
  paused = false
  lostWith: Error | null | undefined = undefined
  onDatagram: (() => void) | null = null
  readonly lost: Promise<void>
  #lost!: () => void
  constructor (readonly faultAt: number | null, readonly faultError: Error) {
    this.lost = new Promise((resolve) => { this.#lost = resolve })
  }

  connectionMade (t: DatagramTransport): void { this.transport = t; this.events.push('connectionMade') }
  datagramReceived (data: Uint8Array, addr: unknown): void {
    if (this.paused) this.violations.push('datagramReceived while reading is paused')
    this.events.push('datagramReceived')
    this.got.push(Buffer.from(data))
    void addr
    this.onDatagram?.()
    if (this.got.length === this.faultAt) throw this.faultError
  }

  errorReceived (): void { this.events.push('errorReceived') }
  pauseWriting (): void { this.events.push('pauseWriting') }
  resumeWriting (): void { this.events.push('resumeWriting') }
  connectionLost (exc: Error | null): void {
    this.events.push('connectionLost')
    this.lostWith = exc
    this.#lost()
  }
}

export async function runDatagram (rng: Random, plan: DatagramPlan): Promise<Outcome> {
  const faultError = new Error('injected fault')
  const receiver = new Recorder(plan.faultAt, faultError)
  const sender = new Recorder(null, faultError)
  const [rt] = await createDatagramEndpoint(() => receiver, { localAddr: ['127.0.0.1', 0] })
  const local = rt.getExtraInfo('sockname') as [string, number]
  const [st] = await createDatagramEndpoint(() => sender, { remoteAddr: local })
  if (plan.high !== null) st.setWriteBufferLimits({ high: plan.high })
  const sent: Buffer[] = []
  const all = new Promise<void>((resolve) => {
    receiver.onDatagram = () => {
      if (!receiver.paused && rng.chance(plan.pauseProb)) {
        rt.pauseReading()
        receiver.paused = true
        setTimeout(() => { receiver.paused = false; rt.resumeReading() }, rng.int(0, 3))
      }
      if (receiver.got.length >= plan.count) resolve()
    }
    if (plan.count === 0) resolve()
  })
  for (let i = 0; i < plan.count; i++) {
    const d = rng.bytes(rng.int(0, plan.maxSize))
    sent.push(d)
    st.sendto(d)
    if (plan.pace === 'timer') await later(rng.int(0, 1))
    else if (plan.pace === 'immediate') await new Promise((resolve) => setImmediate(resolve))
  }
  const violations: string[] = []
  let lostBytes = 0
  try {
    await bounded(all, 3_000, 'the burst')
  } catch {
    const missing = sent.slice(receiver.got.length)
    lostBytes = missing.reduce((n, d) => n + d.length, 0)
    violations.push(`${missing.length} of ${sent.length} datagrams never arrived`)
  }
  if (plan.senderEnd === 'close') st.close()
  else st.abort()
  if (plan.receiverEnd === 'close') rt.close()
  else rt.abort()
  await Promise.all([receiver.lost, sender.lost])
  for (let i = 0; i < receiver.got.length; i++) {
    if (i >= sent.length || digest(receiver.got[i]!) !== digest(sent[i]!)) {
      violations.push(`datagram ${i} is not the ${i}-th sent (SHA-256 differs or extra)`)
      break
    }
  }
  for (const r of [receiver, sender]) {
    violations.push(...r.violations, ...checkTrace(r.events, 'datagram'))
    if (r.lostWith !== null) violations.push(`connectionLost(${String(r.lostWith)})`)
  }
  const fired = plan.faultAt !== null && receiver.got.length >= plan.faultAt
  return { violations, lostBytes, faultFired: fired, faultError: fired ? faultError : null, events: receiver.events }
}
