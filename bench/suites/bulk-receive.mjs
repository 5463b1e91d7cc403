// Bulk receive: 1 GiB from a raw sender into (a) a BufferedProtocol that reuses one 256 KiB
// buffer, (b) a stream Protocol, (c) raw `net` 'data' events, in one run: MiB/s, CPU time per
// GiB, and allocations (ArrayBuffer bytes allocated, garbage collections). The target: (a) at
// least 1.15× (b) in MiB/s, at least on par with (c), and no per-chunk allocation on the
// zero-copy paths.
//
//   node bench/suites/bulk-receive.mjs [--quick] [--rounds=N] [--mib=N] [--alloc-mib=N]
//        [--chunk=KiB] [--variants=buffered,stream,net,...] [--node-sender]
//
// Receivers (bench/lib/bulk-receiver.mjs, each only counts the bytes):
//   buffered              (a) @wireline/buffered createConnection: Node's onread reads into the protocol's buffer
//   stream                (b) @wireline/stream createConnection, a Protocol
//   net                   (c) raw net.connect, a 'data' listener
//   buffered-server       (a) on the server side: createServer, the accepted socket re-wrapped with onread
//   buffered-server-data  (a) on the server side with setAcceptedSocketFastPath(false): 'data' events, one copy
//   net-onread            raw net.connect({ onread }) into one reused 256 KiB buffer: Node's own zero-copy option
//
// The receiver runs in a process of its own pinned to CPU 0; the sender (loadgen/bulk-sender.c:
// blocking write()s of --chunk KiB from one preallocated buffer; a Node one without a C
// compiler) in another, pinned to CPU 1. Each round runs every variant once, in an order
// rotated from round to round, with a fresh pair of processes per transfer; the tables show
// medians over the rounds, and ratios are the median of the ratios within each round.
//
// What the receiver measures, from its first byte to the EOF: wall time (MiB/s), its own CPU
// time (process.cpuUsage(), per GiB), the garbage collections (perf_hooks 'gc' entries), the
// reads that delivered data (chunks) and its peak RSS. Allocations are counted in a separate
// pass, one transfer of --alloc-mib per variant, because counting costs ~3 µs per chunk: after
// every chunk the receiver reads V8's external-memory counter (every ArrayBuffer backing store
// attached to the JS heap adds its size when created, and the collector subtracts it when
// freed) and sums its increases. `process.memoryUsage().arrayBuffers` is a level: read at the
// start and the end it nets the frees out; read after every chunk, the frees (which land at
// collections, a few dozen per GiB) hide an allocation only in the intervals they land in.
// (Node's `arrayBuffers`, read the same way, counted only 83-87 % of a known allocation when
// this was written, V8's counter 99.8 %.) A check at the start allocates a known amount in
// 64 KiB buffers and prints what the method counted of it. The method does not see Node's own transient read buffer (libuv reads
// into a fresh 64 KiB backing store that is copied into a right-sized one when the read is
// shorter, and freed before JavaScript sees it), so it is a lower bound for 'data' reads;
// on the zero-copy paths there is nothing of that kind.
import v8 from 'node:v8'
import {
  benchDir, buildC, canPin, exited, fmt, fmtRatio, header, onLines, options, rotate, roundStats,
  saveResults, spawnPinned, table,
} from '../lib/common.mjs'

const opt = options()
const quick = opt.quick === true
const rounds = Number(opt.rounds ?? (quick ? 3 : 7))
const MiB = 1 << 20
const GiB = 1 << 30
const bytes = Number(opt.mib ?? (quick ? 256 : 1024)) * MiB
const allocBytes = Number(opt['alloc-mib'] ?? (quick ? 64 : 256)) * MiB
const chunk = Number(opt.chunk ?? 1024) * 1024

const VARIANTS = {
  buffered: { label: '(a) BufferedProtocol, createConnection', server: false },
  stream: { label: '(b) stream Protocol, createConnection', server: false },
  net: { label: "(c) raw net, 'data' events", server: false },
  'buffered-server': { label: '(a) BufferedProtocol, createServer (onread re-wrap)', server: true },
  'buffered-server-data': { label: "(a) BufferedProtocol, createServer, 'data' fallback", server: true },
  'net-onread': { label: 'raw net.connect({ onread }), one 256 KiB buffer', server: false },
}
/** The zero-copy paths: no per-chunk allocation expected. */
const ZERO_COPY = ['buffered', 'buffered-server', 'net-onread']
const variantNames = [...new Set(typeof opt.variants === 'string' ? opt.variants.split(',') : Object.keys(VARIANTS))]
for (const v of variantNames) if (!(v in VARIANTS)) throw new Error(`unknown variant ${v}`)

const cSender = opt['node-sender'] === true ? null : buildC('bulk-sender')
const sender = cSender !== null
  ? { cmd: cSender, args: [], label: 'C (cc -O2), blocking write()' }
  : {
      cmd: process.execPath,
      args: [benchDir + 'lib/bulk-sender.mjs'],
      label: `Node (${opt['node-sender'] === true ? '--node-sender' : 'no C compiler found'}: it may be the bottleneck, see sender CPU)`,
    }

/** Resolves with the value of the first `PREFIX {json}` line, or null if the child exits first. */
function lineOf (child, prefix) {
  return new Promise((resolve) => {
    onLines(child, (line) => { if (line.startsWith(prefix)) resolve(line.slice(prefix.length)) })
    child.once('exit', () => resolve(null))
  })
}

/** One transfer of `n` bytes into `variant`; resolves to a sample (`failed: true` if it did not complete). */
async function transfer (variant, n, alloc) {
  const receiverArgs = (port) => [benchDir + 'lib/bulk-receiver.mjs', variant, String(n),
    ...(port === null ? [] : [String(port)]), ...(alloc ? ['--alloc'] : [])]
  let receiver, snd
  if (VARIANTS[variant].server) {
    receiver = spawnPinned(0, process.execPath, receiverArgs(null), { stdio: ['ignore', 'pipe', 'inherit'] })
    const result = lineOf(receiver, 'RESULT ')
    const port = await lineOf(receiver, 'PORT ')
    snd = spawnPinned(1, sender.cmd, [...sender.args, 'connect', String(port), String(n), String(chunk)], { stdio: ['ignore', 'pipe', 'inherit'] })
    receiver.result = result
  } else {
    snd = spawnPinned(1, sender.cmd, [...sender.args, 'listen', String(n), String(chunk)], { stdio: ['ignore', 'pipe', 'inherit'] })
    const done = lineOf(snd, 'DONE ')
    const port = await lineOf(snd, 'PORT ')
    snd.done = done
    receiver = spawnPinned(0, process.execPath, receiverArgs(port), { stdio: ['ignore', 'pipe', 'inherit'] })
    receiver.result = lineOf(receiver, 'RESULT ')
  }
  snd.done ??= lineOf(snd, 'DONE ')
  const timer = setTimeout(() => { receiver.kill('SIGKILL'); snd.kill('SIGKILL') }, 60_000)
  const [r, d] = await Promise.all([receiver.result, snd.done])
  const [[rc], [sc]] = await Promise.all([exited(receiver), exited(snd)])
  clearTimeout(timer)
  if (r === null || d === null || rc !== 0 || sc !== 0) return { variant, failed: true }
  const res = JSON.parse(r)
  const sent = JSON.parse(d)
  return {
    variant,
    mibs: res.bytes / MiB / res.seconds,
    cpuMsPerGiB: res.cpu_us / 1000 / (res.bytes / GiB),
    receiverCpuShare: res.cpu_us / 1e6 / res.seconds,
    chunks: res.chunks,
    chunkKiB: res.bytes / res.chunks / 1024,
    gcsPerGiB: res.gcs / (res.bytes / GiB),
    gcMsPerGiB: res.gc_ms / (res.bytes / GiB),
    rssMiB: res.max_rss_kib / 1024,
    senderCpuShare: sent.cpu_s / sent.seconds,
    allocPerGiB: res.alloc_bytes === null ? NaN : res.alloc_bytes / (res.bytes / GiB),
    allocPerChunk: res.alloc_bytes === null ? NaN : res.alloc_bytes / res.chunks,
  }
}

/** The allocation counting method, checked on a known allocation (see the header). */
function checkMethod () {
  const N = 1024
  const size = 64 * 1024
  let level = v8.getHeapStatistics().external_memory
  let counted = 0
  let keep = null
  for (let i = 0; i < N; i++) {
    keep = Buffer.allocUnsafeSlow(size)
    keep[0] = i
    const now = v8.getHeapStatistics().external_memory
    if (now > level) counted += now - level
    level = now
  }
  return { allocated: N * size, counted }
}

console.log('## Bulk receive: wireline BufferedProtocol vs stream Protocol vs raw `net`\n')
console.log(header('bulk-receive'))
console.log(`sender: ${sender.label}, ${chunk / 1024} KiB per write; ${canPin() ? 'receiver pinned to CPU 0, sender to CPU 1 (taskset)' : 'not pinned (no taskset or < 2 CPUs)'}; ` +
  `${fmt(bytes / MiB)} MiB per transfer, ${rounds} rounds, every variant once per round in a rotated order, fresh processes per transfer; ` +
  `allocations counted in a separate pass of ${fmt(allocBytes / MiB)} MiB per variant\n`)

const started = Date.now()
const check = checkMethod()
const allocSamples = new Map()
for (const v of variantNames) allocSamples.set(v, await transfer(v, allocBytes, true))
process.stderr.write(`bulk-receive: allocation pass done (${((Date.now() - started) / 1000).toFixed(0)} s)\n`)

const samples = []
for (let round = 0; round < rounds; round++) {
  for (const v of rotate(variantNames, round)) {
    const s = await transfer(v, bytes, false)
    s.round = round
    samples.push(s)
    if (s.failed) console.log(`(round ${round + 1}: ${v} failed)`)
  }
  process.stderr.write(`bulk-receive: round ${round + 1}/${rounds} done (${((Date.now() - started) / 1000).toFixed(0)} s)\n`)
}

const METRICS = ['mibs', 'cpuMsPerGiB', 'receiverCpuShare', 'chunkKiB', 'gcsPerGiB', 'gcMsPerGiB', 'rssMiB', 'senderCpuShare']
const stats = roundStats(samples, METRICS, () => 'all')
const has = (v) => variantNames.includes(v)
const x = (v, base) => (has(v) && has(base) ? stats.paired(v, base, 'all') : null)

console.log('### throughput and CPU (timed rounds)\n')
console.log(`Values are medians over the rounds; × (b) and × (c) are the variant's MiB/s ÷ that of (b) / (c), the median of the ratios within each round.\n`)
console.log(table(
  ['receiver', 'MiB/s', '× (b)', '× (c)', 'CPU ms/GiB', 'receiver CPU', 'avg read KiB', 'GCs/GiB', 'GC ms/GiB', 'peak RSS MiB', 'sender CPU', 'MiB/s by round'],
  variantNames.map((v) => {
    const m = stats.med(v, 'all')
    return [
      VARIANTS[v].label, fmt(m.mibs), fmtRatio(x(v, 'stream')?.mibs), fmtRatio(x(v, 'net')?.mibs),
      fmt(m.cpuMsPerGiB), `${fmt(100 * m.receiverCpuShare)} %`, fmt(m.chunkKiB, 1), fmt(m.gcsPerGiB, 1),
      fmt(m.gcMsPerGiB, 1), fmt(m.rssMiB), `${fmt(100 * m.senderCpuShare)} %`,
      m.all('mibs').map((y) => fmt(y)).join(' / '),
    ]
  }),
))
console.log('\nCPU ms/GiB: the receiver\'s own CPU time over the transfer per GiB received; receiver CPU: that time ÷ the ' +
  'transfer\'s wall time (under 100 %: it waited for data); sender CPU: the sender\'s CPU time ÷ its wall time ' +
  '(near 100 %: the sender may be the bottleneck); avg read KiB: bytes ÷ the reads that delivered them.')

console.log('\n### allocations (the allocation pass)\n')
console.log(`Method check: of ${fmt(check.allocated / MiB)} MiB allocated in 64 KiB Buffers, the method counted ${fmt(check.counted / MiB, 1)} MiB ` +
  `(${fmt(100 * check.counted / check.allocated, 1)} %).\n`)
console.log(table(
  ['receiver', 'ArrayBuffer MiB allocated per GiB', 'bytes allocated per chunk', 'avg chunk KiB', 'GCs per GiB (timed rounds)', 'per-chunk allocation'],
  variantNames.map((v) => {
    const a = allocSamples.get(v)
    const m = stats.med(v, 'all')
    if (a.failed) return [VARIANTS[v].label, 'failed', '', '', fmt(m.gcsPerGiB, 1), '']
    const perChunk = a.allocPerChunk / (a.chunkKiB * 1024) > 0.01
    return [VARIANTS[v].label, fmt(a.allocPerGiB / MiB, 1), fmt(a.allocPerChunk), fmt(a.chunkKiB, 1), fmt(m.gcsPerGiB, 1),
      perChunk ? 'yes' : '**none**']
  }),
))
console.log('\nper-chunk allocation: "none" when the ArrayBuffer bytes allocated per chunk are under 1 % of a chunk.')

// The target.
const verdicts = []
const ab = x('buffered', 'stream')?.mibs
const ac = x('buffered', 'net')?.mibs
if (ab !== undefined) verdicts.push(`(a) ÷ (b) MiB/s ${fmtRatio(ab)} (target >= 1.15): ${ab >= 1.15 ? 'met' : '**missed**'}`)
if (ac !== undefined) verdicts.push(`(a) ÷ (c) MiB/s ${fmtRatio(ac)} (target >= 1.00): ${ac >= 1 ? 'met' : '**missed**'}`)
const zc = ZERO_COPY.filter((v) => has(v) && v !== 'net-onread')
if (zc.length > 0) {
  const ok = zc.every((v) => {
    const a = allocSamples.get(v)
    return !a.failed && a.allocPerChunk / (a.chunkKiB * 1024) <= 0.01
  })
  verdicts.push(`no per-chunk allocation on wireline's zero-copy paths (${zc.join(', ')}): ${ok ? 'met' : '**missed**'}`)
}
if (verdicts.length > 0) console.log(`\ntarget: ${verdicts.join('; ')}`)
const cpuAB = x('buffered', 'stream')?.cpuMsPerGiB
const cpuAC = x('buffered', 'net')?.cpuMsPerGiB
if (cpuAB !== undefined && cpuAC !== undefined) {
  console.log(`CPU per GiB: (a) ÷ (b) ${fmtRatio(cpuAB)}, (a) ÷ (c) ${fmtRatio(cpuAC)} (median of the per-round ratios)`)
}
const path = saveResults('bulk-receive', { rounds, bytes, allocBytes, chunk, sender: sender.label, check, alloc: [...allocSamples.values()], samples })
console.log(`\n(${((Date.now() - started) / 1000).toFixed(0)} s; raw samples in ${path.slice(benchDir.length - 6)})\n`)
if (samples.some((s) => s.failed) || [...allocSamples.values()].some((s) => s.failed)) process.exitCode = 1
