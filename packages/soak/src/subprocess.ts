import { createHash } from 'node:crypto'
import { checkTrace } from '@wireline/core/testing'
import type { ReadTransport, WriteTransport } from '@wireline/core'
import { subprocessExec } from '@wireline/subprocess'
import type { SubprocessTransport } from '@wireline/subprocess'
import type { Outcome } from './outcome.js'
import type { Random } from './random.js'
import { later } from './timing.js'

/*
 * One child-process run: a Node child copies its stdin to its stdout and writes a known
 * amount to stderr; the parent writes random chunks into stdin (with flow control, limits
 * changed at random), pauses the stdout pipe at random moments, ends stdin by writeEof or
 * close, or kills the child midway; a pipeDataReceived may throw once (fatal: the child is
 * killed). Checks: the subprocess state machine, stdout's SHA-256 against what was written,
 * the stderr byte count, the return code, and nothing delivered on a paused pipe.
 */

export interface SubprocessPlan {
  bytes: number
  chunk: number
  stderrBytes: number
  pauseProb: number
  ending: 'writeEof' | 'closeStdin' | 'kill' | 'terminate'
  killAt: number
  high: number | null
  faultAt: number | null
}

export function planSubprocess (rng: Random): SubprocessPlan {
  const bytes = rng.pick([0, rng.size(4096), rng.size(512 * 1024)])
  return {
    bytes,
    chunk: rng.size(64 * 1024),
    stderrBytes: rng.pick([0, rng.size(64 * 1024)]),
    pauseProb: rng.pick([0, 0.2]),
    ending: rng.weighted({ writeEof: 4, closeStdin: 2, kill: 1, terminate: 1 }),
    killAt: rng.int(0, 4),
    high: rng.chance(0.3) ? rng.size(64 * 1024) : null,
    faultAt: rng.chance(0.1) ? rng.int(1, 4) : null,
  }
}

const CHILD = `
process.stderr.write(Buffer.alloc(Number(process.argv[1]), 101))
process.stdin.pipe(process.stdout)
`

class Recorder {
  readonly events: string[] = []
  readonly out = new Map<number, Buffer[]>()
  readonly violations: string[] = []
  readonly paused = new Set<number>()
  transport: SubprocessTransport | null = null
  lostWith: Error | null | undefined = undefined
  onData: ((fd: number) => void) | null = null
  count = 0
  readonly lost: Promise<void>
  #lost!: () => void
  constructor (readonly faultAt: number | null, readonly faultError: Error) {
    this.lost = new Promise((resolve) => { this.#lost = resolve })
  }

  connectionMade (t: SubprocessTransport): void { this.transport = t; this.events.push('connectionMade') }
  pipeDataReceived (fd: number, data: Uint8Array): void {
    if (this.paused.has(fd)) this.violations.push(`pipeDataReceived(${fd}) while its pipe is paused`)
    this.events.push(`pipeDataReceived(${fd})`)
    const list = this.out.get(fd) ?? []
    list.push(Buffer.from(data))
    this.out.set(fd, list)
    this.onData?.(fd)
    if (++this.count === this.faultAt) throw this.faultError
  }

  pipeConnectionLost (fd: number): void { this.events.push(`pipeConnectionLost(${fd})`) }
  processExited (): void { this.events.push('processExited') }
  pauseWriting (): void { this.events.push('pauseWriting') }
  resumeWriting (): void { this.events.push('resumeWriting') }
  connectionLost (exc: Error | null): void {
    this.events.push('connectionLost')
    this.lostWith = exc
    this.#lost()
  }
}

export async function runSubprocess (rng: Random, plan: SubprocessPlan): Promise<Outcome> {
  const faultError = new Error('injected fault')
  const p = new Recorder(plan.faultAt, faultError)
  const [t] = await subprocessExec(() => p, process.execPath, ['-e', CHILD, String(plan.stderrBytes)])
  const stdin = t.getPipeTransport(0) as WriteTransport
  const stdout = t.getPipeTransport(1) as ReadTransport
  p.onData = (fd) => {
    if (fd === 1 && !p.paused.has(1) && rng.chance(plan.pauseProb)) {
      stdout.pauseReading()
      p.paused.add(1)
      setTimeout(() => { p.paused.delete(1); stdout.resumeReading() }, rng.int(0, 3))
    }
  }
  if (plan.high !== null) stdin.setWriteBufferLimits({ high: plan.high })
  const data = rng.bytes(plan.bytes)
  let written = 0
  let i = 0
  let killed = false
  while (written < data.length && p.lostWith === undefined && !stdin.isClosing()) {
    if ((plan.ending === 'kill' || plan.ending === 'terminate') && i === plan.killAt) break
    const n = Math.min(data.length - written, Math.max(rng.size(plan.chunk), Math.ceil(data.length / 64)))
    stdin.write(data.subarray(written, written + n))
    written += n
    i++
    if (rng.chance(0.3)) await later(0)
  }
  if (p.lostWith === undefined) {
    if (plan.ending === 'kill' || plan.ending === 'terminate') {
      killed = true
      if (plan.ending === 'kill') t.kill()
      else t.terminate()
    } else if (plan.ending === 'writeEof') {
      stdin.writeEof()
    } else {
      stdin.close()
    }
  }
  await p.lost
  const violations = [...p.violations, ...checkTrace(p.events, 'subprocess', { pipedFds: [0, 1, 2] })]
  const fired = plan.faultAt !== null && p.count >= plan.faultAt
  let lostBytes = 0
  if (!fired && !killed) {
    const got = Buffer.concat(p.out.get(1) ?? [])
    const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex')
    if (sha(got) !== sha(data)) {
      violations.push(`stdout: ${got.length} bytes back of ${data.length} written, SHA-256 differs`)
      lostBytes += Math.max(0, data.length - got.length)
    }
    const err = Buffer.concat(p.out.get(2) ?? []).length
    if (err !== plan.stderrBytes) {
      violations.push(`stderr: ${err} bytes of ${plan.stderrBytes}`)
      lostBytes += Math.max(0, plan.stderrBytes - err)
    }
    if (t.getReturncode() !== 0) violations.push(`return code ${String(t.getReturncode())}, not 0`)
  }
  if (fired && p.lostWith !== faultError) violations.push(`connectionLost(${String(p.lostWith)}), not the injected fault`)
  if (!fired && p.lostWith !== null) violations.push(`connectionLost(${String(p.lostWith)}) on a clean run`)
  return { violations, lostBytes, faultFired: fired, faultError: fired ? faultError : null, events: p.events }
}
