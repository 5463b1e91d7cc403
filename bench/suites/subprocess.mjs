// Subprocess throughput: children of `/bin/echo hello`, a fixed number in flight, started and
// collected through wireline (subprocessExec + a SubprocessProtocol that collects stdout and
// waits for connectionLost) and through raw `child_process.spawn` (collect stdout, wait for
// 'close'), interleaved in the same process, several rounds, medians.
//
//   node bench/suites/subprocess.mjs [--quick] [--children=300] [--inflight=8] [--rounds=7]
//
// Reported per variant: children per second, and the parent's own CPU time (user + system,
// `process.cpuUsage()`) per child. Ratios are wireline / raw; the target is >= 0.95 for
// children/s (and CPU per child <= 1.05 x raw).
// Imports the BUILT @wireline/subprocess: run `pnpm bench` (it builds first) or build it yourself.
import { spawn } from 'node:child_process'
import { performance } from 'node:perf_hooks'
import { SubprocessProtocol, subprocessExec } from '@wireline/subprocess'

const argv = new Map(process.argv.slice(2).map((a) => {
  const m = /^--([^=]+)(?:=(.*))?$/.exec(a)
  return m === null ? [a, true] : [m[1], m[2] ?? true]
}))
const quick = argv.has('quick')
const CHILDREN = Number(argv.get('children') ?? 300)
const INFLIGHT = Number(argv.get('inflight') ?? 8)
const ROUNDS = Math.max(3, Number(argv.get('rounds') ?? (quick ? 3 : 7)))
const PROGRAM = '/bin/echo'
const ARGS = ['hello']
const EXPECTED = 'hello\n'
const DEADLINE_MS = quick ? 60_000 : 180_000

// Bounded in time: a hung child must not hang the bench.
setTimeout(() => {
  console.error(`subprocess bench: did not finish within ${DEADLINE_MS / 1000} s`)
  process.exit(1)
}, DEADLINE_MS).unref()

class Collect extends SubprocessProtocol {
  chunks = []
  constructor (done) {
    super()
    this.done = done
  }

  pipeDataReceived (fd, data) {
    if (fd === 1) this.chunks.push(data)
  }

  connectionLost (exc) {
    this.done(exc, Buffer.concat(this.chunks).toString())
  }
}

function viaWireline () {
  return new Promise((resolve, reject) => {
    const finish = (exc, out) => {
      if (exc !== null) reject(exc)
      else if (out !== EXPECTED) reject(new Error(`wireline: unexpected output ${JSON.stringify(out)}`))
      else resolve()
    }
    subprocessExec(() => new Collect(finish), PROGRAM, ARGS).catch(reject)
  })
}

function viaRaw () {
  return new Promise((resolve, reject) => {
    const child = spawn(PROGRAM, ARGS)
    const chunks = []
    child.stdout.on('data', (c) => chunks.push(c))
    child.on('error', reject)
    child.on('close', () => {
      const out = Buffer.concat(chunks).toString()
      if (out !== EXPECTED) reject(new Error(`raw: unexpected output ${JSON.stringify(out)}`))
      else resolve()
    })
  })
}

const VARIANTS = {
  raw: { label: 'raw `child_process.spawn`', run: viaRaw },
  wireline: { label: 'wireline `subprocessExec`', run: viaWireline },
}

/** Runs `n` children, `inflight` at a time; returns children/s and CPU µs per child. */
async function measure (run, n, inflight) {
  globalThis.gc?.()
  let started = 0
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  async function worker () {
    while (started < n) {
      started++
      await run()
    }
  }
  await Promise.all(Array.from({ length: Math.min(inflight, n) }, worker))
  const seconds = (performance.now() - t0) / 1000
  const cpu = process.cpuUsage(cpu0)
  return { perSecond: n / seconds, cpuPerChild: (cpu.user + cpu.system) / n }
}

function median (xs) {
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2
}

const fmt = (x, digits = 0) => x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })

console.log('## Subprocess throughput: wireline vs raw child_process\n')
console.log(`\`node bench/suites/subprocess.mjs${quick ? ' --quick' : ''}\`: ${CHILDREN} children of ` +
  `\`${[PROGRAM, ...ARGS].join(' ')}\`, ${INFLIGHT} in flight, ${ROUNDS} rounds (+1 warm-up), ` +
  'variants interleaved (the order alternates every round); medians. CPU = the parent\'s own user + system time.\n')

// warm-up: load code paths, fill caches; not counted
await measure(viaRaw, Math.min(40, CHILDREN), INFLIGHT)
await measure(viaWireline, Math.min(40, CHILDREN), INFLIGHT)

const samples = { raw: [], wireline: [] }
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? ['raw', 'wireline'] : ['wireline', 'raw']
  for (const name of order) samples[name].push(await measure(VARIANTS[name].run, CHILDREN, INFLIGHT))
}

const med = {}
for (const name of Object.keys(VARIANTS)) {
  med[name] = {
    perSecond: median(samples[name].map((s) => s.perSecond)),
    cpuPerChild: median(samples[name].map((s) => s.cpuPerChild)),
    spread: samples[name].map((s) => fmt(s.perSecond)).join(' / '),
  }
}
const ratio = med.wireline.perSecond / med.raw.perSecond
const cpuRatio = med.wireline.cpuPerChild / med.raw.cpuPerChild

console.log('| variant | children/s (median) | CPU per child µs (median) | children/s per round | ratio children/s | ratio CPU/child |')
console.log('| --- | ---: | ---: | --- | ---: | ---: |')
for (const name of ['raw', 'wireline']) {
  const m = med[name]
  const r = name === 'raw' ? '1.00' : `**${fmt(ratio, 2)}**`
  const c = name === 'raw' ? '1.00' : `**${fmt(cpuRatio, 2)}**`
  console.log(`| ${VARIANTS[name].label} | ${fmt(m.perSecond)} | ${fmt(m.cpuPerChild)} | ${m.spread} | ${r} | ${c} |`)
}
const met = ratio >= 0.95
console.log(`\ntarget children/s ratio >= 0.95: ${met ? 'met' : '**not met**'} (${fmt(ratio, 3)}); ` +
  `CPU per child ratio ${fmt(cpuRatio, 3)} (aim <= 1.05)\n`)
