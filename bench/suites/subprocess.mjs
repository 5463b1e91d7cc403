// Subprocess throughput: children of `/bin/echo hello`, a fixed number in flight, started and
// collected through wireline (subprocessExec + a SubprocessProtocol that collects stdout and
// waits for connectionLost) and through raw `child_process.spawn` (collect stdout, wait for
// 'close'), interleaved in the same process, several rounds, medians.
//
//   node bench/suites/subprocess.mjs [--quick] [--children=600] [--inflight=8] [--rounds=21]
//
// Reported per variant: children per second, and the parent's own CPU time (user + system,
// `process.cpuUsage()`) per child, medians over the rounds. Ratios are wireline / raw, the
// median of the per-round ratios (each round runs both variants back to back, so on a shared
// machine both see the same background load), with their range. Target: children/s ratio
// >= 0.95 (and CPU per child <= 1.05 x raw).
// Imports the BUILT @wireline/subprocess: run `pnpm bench` (it builds first) or build it yourself.
import { spawn } from 'node:child_process'
import { performance } from 'node:perf_hooks'
import { SubprocessProtocol, subprocessExec } from '@wireline/subprocess'

const argv = new Map(process.argv.slice(2).map((a) => {
  const m = /^--([^=]+)(?:=(.*))?$/.exec(a)
  return m === null ? [a, true] : [m[1], m[2] ?? true]
}))
const quick = argv.has('quick')
const CHILDREN = Number(argv.get('children') ?? 600)
const INFLIGHT = Number(argv.get('inflight') ?? 8)
const ROUNDS = Math.max(3, Number(argv.get('rounds') ?? (quick ? 3 : 21)))
const PROGRAM = '/bin/echo'
const ARGS = ['hello']
const EXPECTED = 'hello\n'
const WARMUP_CHUNK = quick ? 40 : 500
const WARMUP_CHUNKS = quick ? 1 : 6
// Bounded in time: a hung child must not hang the bench. Generous, as a start's cost is the
// machine's: 640 children/s here on some days, 110 on others (a fork and exec costing ~6 ms of
// system time each, raw Node and wireline alike), where the full suite takes ~5 minutes.
const DEADLINE_MS = quick ? 120_000 : 600_000
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
  `\`${[PROGRAM, ...ARGS].join(' ')}\`, ${INFLIGHT} in flight, ${ROUNDS} rounds after a warm-up of ${WARMUP_CHUNK * WARMUP_CHUNKS} children per variant, ` +
  'variants interleaved (the order alternates every round); medians, and ratios as the median of the per-round ratios. CPU = the parent\'s own user + system time.\n')

// Warm-up, not counted, interleaved as the rounds are: V8 goes on optimizing the code both
// variants run until about the 3,000th child (`--trace-opt`: functions still compiled after
// 600 children, wireline having more of its own to compile), and that one-time cost is not a
// child's. No round forces a collection (as in the other suites): a full `gc()` while no child
// is alive lets the maps of every per-child object die, V8 drops the optimized code that
// embedded them ("weak objects") and compiles it again through the next round.
// bench/README ("Subprocess: warm-up and the forced collection") has the traces.
globalThis.gc?.()
for (let i = 0; i < WARMUP_CHUNKS; i++) {
  await measure(viaRaw, WARMUP_CHUNK, INFLIGHT)
  await measure(viaWireline, WARMUP_CHUNK, INFLIGHT)
}

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
  }
}
const pairRatios = (f) => samples.wireline.map((w, i) => f(w) / f(samples.raw[i]))
const rateRatios = pairRatios((s) => s.perSecond)
const cpuRatios = pairRatios((s) => s.cpuPerChild)
const ratio = median(rateRatios)
const cpuRatio = median(cpuRatios)
const range = (xs) => `${fmt(Math.min(...xs), 2)}–${fmt(Math.max(...xs), 2)}`

console.log('| variant | children/s | CPU per child µs | ratio children/s (range) | ratio CPU per child (range) |')
console.log('| --- | ---: | ---: | ---: | ---: |')
console.log(`| ${VARIANTS.raw.label} | ${fmt(med.raw.perSecond)} | ${fmt(med.raw.cpuPerChild)} | 1 | 1 |`)
console.log(`| ${VARIANTS.wireline.label} | ${fmt(med.wireline.perSecond)} | ${fmt(med.wireline.cpuPerChild)} ` +
  `| **${fmt(ratio, 3)}** (${range(rateRatios)}) | **${fmt(cpuRatio, 3)}** (${range(cpuRatios)}) |`)
const met = ratio >= 0.95
console.log(`\ntarget children/s ratio >= 0.95: ${met ? 'met' : '**not met**'}; CPU per child ratio ` +
  `${cpuRatio <= 1.05 ? 'within' : '**over**'} the 1.05 aim. Children/s per round, raw: ` +
  `${samples.raw.map((s) => fmt(s.perSecond)).join(' / ')}; wireline: ${samples.wireline.map((s) => fmt(s.perSecond)).join(' / ')}. ` +
  `CPU per child ratio per round, sorted: ${[...cpuRatios].sort((a, b) => a - b).map((r) => fmt(r, 2)).join(' ')}\n`)
