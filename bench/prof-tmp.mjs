import { spawn } from 'node:child_process'
import { Session } from 'node:inspector/promises'
import { writeFileSync } from 'node:fs'
import { SubprocessProtocol, subprocessExec } from '@wireline/subprocess'
const mode = process.argv[2]
class Collect extends SubprocessProtocol {
  chunks = []
  constructor (done) { super(); this.done = done }
  pipeDataReceived (fd, data) { if (fd === 1) this.chunks.push(data) }
  connectionLost (exc) { this.done(exc, Buffer.concat(this.chunks).toString()) }
}
const viaW = () => new Promise((res, rej) => { subprocessExec(() => new Collect((e, o) => e ? rej(e) : res(o)), '/bin/echo', ['hello']).catch(rej) })
const viaR = () => new Promise((res, rej) => { const c = spawn('/bin/echo', ['hello']); const ch = []; c.stdout.on('data', (x) => ch.push(x)); c.on('error', rej); c.on('close', () => res(Buffer.concat(ch).toString())) })
const run = mode === 'w' ? viaW : viaR
async function batch (N) { let started = 0; await Promise.all(Array.from({ length: 8 }, async () => { while (started++ < N) await run() })) }
await batch(Number(process.env.WARM ?? 3000))
const N = Number(process.env.N ?? 3000)
let session = null
if (process.env.PROF) { session = new Session(); session.connect(); await session.post('Profiler.enable'); await session.post('Profiler.setSamplingInterval', { interval: 100 }); await session.post('Profiler.start') }
const t0 = process.cpuUsage()
await batch(N)
const c = process.cpuUsage(t0)
if (session) { const { profile } = await session.post('Profiler.stop'); writeFileSync(process.env.PROF, JSON.stringify(profile)) }
console.log(mode, 'user us/child', (c.user / N).toFixed(0), 'sys', (c.system / N).toFixed(0))
