// TCP echo: a wireline echo server (@wireline/stream createServer + an echo Protocol that
// honours pauseWriting/resumeWriting) against the canonical raw `net` echo ('data' → write(),
// pause()/resume() on backpressure), measured in the same run by a ping-pong load generator.
//
//   node bench/suites/tcp-echo.mjs [--quick] [--anchors] [--rounds=N] [--duration=MS]
//        [--warmup=MS] [--rows=1024x10,65536x100] [--variants=net,wireline,wireline-data]
//
// Every measurement runs a fresh server process pinned to CPU 0 and the load generator (C,
// compiled on first use into bench/.build/) pinned to CPU 1. Variants are interleaved within
// each round; the tables show medians over the rounds. CPU per request comes from the
// server's own process.cpuUsage() over the measured window, peak RSS from its maxRSS.
// `--anchors` adds CPython asyncio's Protocol echo (and uvloop's when importable).
import { spawnSync } from 'node:child_process'
import {
  benchDir, buildC, canPin, exited, fmt, fmtRatio, fmtSize, header, median, onLines, options, ratio,
  saveResults, spawnPinned, table,
} from '../lib/common.mjs'

const opt = options()
const quick = opt.quick === true
const rounds = Number(opt.rounds ?? (quick ? 2 : 3))
const warmupMs = Number(opt.warmup ?? (quick ? 300 : 500))
const durationMs = Number(opt.duration ?? (quick ? 1000 : 2000))
const SIZES = [64, 1024, 16 * 1024, 64 * 1024]
const CONNS = [1, 10, 100]
const rows = typeof opt.rows === 'string'
  ? opt.rows.split(',').map((r) => r.split('x').map(Number))
  : quick
    ? [[64, 1], [1024, 10], [16 * 1024, 10], [64 * 1024, 100]]
    : SIZES.flatMap((s) => CONNS.map((c) => [s, c]))

/** The server variants: how to start each, and its label in the tables. */
const VARIANTS = {
  net: { label: 'raw net', cmd: process.execPath, args: [benchDir + 'lib/echo-server.mjs', 'net'] },
  wireline: { label: 'wireline', cmd: process.execPath, args: [benchDir + 'lib/echo-server.mjs', 'wireline'] },
  'wireline-data': {
    label: "wireline, 'data' fallback",
    cmd: process.execPath,
    args: [benchDir + 'lib/echo-server.mjs', 'wireline-data'],
  },
  asyncio: { label: 'asyncio (CPython)', cmd: 'python3', args: [benchDir + 'lib/echo_server.py', 'asyncio'] },
  uvloop: { label: 'uvloop', cmd: 'python3', args: [benchDir + 'lib/echo_server.py', 'uvloop'] },
}

let variantNames = typeof opt.variants === 'string'
  ? opt.variants.split(',')
  : quick ? ['net', 'wireline'] : ['net', 'wireline', 'wireline-data']
if (opt.anchors === true) {
  if (spawnSync('python3', ['--version']).status === 0) variantNames.push('asyncio')
  if (spawnSync('python3', ['-c', 'import uvloop']).status === 0) variantNames.push('uvloop')
}
variantNames = [...new Set(variantNames)]
for (const v of variantNames) if (!(v in VARIANTS)) throw new Error(`unknown variant ${v}`)

const cClient = buildC('tcp-echo-client')
const client = cClient !== null
  ? { cmd: cClient, args: [], label: 'C (cc -O2)' }
  : { cmd: process.execPath, args: [benchDir + 'lib/echo-client.mjs'], label: 'Node (no C compiler found: may be the bottleneck)' }

/** One measurement: a fresh server of `variant`, the generator driving `conns` × `size`. */
async function measure (variant, size, conns) {
  const v = VARIANTS[variant]
  const server = spawnPinned(0, v.cmd, v.args, { stdio: ['pipe', 'pipe', 'inherit'] })
  let onReport
  const reported = new Promise((resolve) => { onReport = resolve })
  const portLine = new Promise((resolve, reject) => {
    onLines(server, (line) => {
      if (line.startsWith('PORT ')) resolve(Number(line.slice(5)))
      else if (line.startsWith('REPORT ')) onReport(JSON.parse(line.slice(7)))
    })
    server.once('exit', () => reject(new Error(`${variant} server exited early`)))
  })
  const port = await portLine
  const gen = spawnPinned(1, client.cmd, [...client.args, '127.0.0.1', String(port), String(conns), String(size),
    String(warmupMs), String(durationMs)], { stdio: ['ignore', 'pipe', 'inherit'] })
  let result = null
  onLines(gen, (line) => {
    if (line === 'START') server.stdin.write('mark\n')
    else if (line.startsWith('RESULT ')) {
      result = JSON.parse(line.slice(7))
      server.stdin.write('report\n')
    }
  })
  const timer = setTimeout(() => { gen.kill('SIGKILL'); server.kill('SIGKILL') }, warmupMs + durationMs + 15_000)
  const [code] = await exited(gen)
  const report = result === null ? null : await Promise.race([reported, exited(server).then(() => null)])
  server.stdin.end()
  await exited(server)
  clearTimeout(timer)
  if (code !== 0 || result === null || report === null) {
    return { variant, size, conns, failed: true }
  }
  return {
    variant,
    size,
    conns,
    reqs: result.requests / result.seconds,
    mibs: result.bytes / result.seconds / (1 << 20),
    p50: result.p50_us,
    p99: result.p99_us,
    cpuPerReq: report.cpu_us / Math.max(1, result.requests),
    serverCpuShare: report.cpu_us / 1000 / report.wall_ms,
    rssMiB: report.max_rss_kib / 1024,
    genShare: result.cpu_share,
  }
}

console.log('## TCP echo: wireline vs raw `net`\n')
console.log(header('tcp-echo'))
console.log(`load generator: ${client.label}; ${canPin() ? 'server pinned to CPU 0, generator to CPU 1 (taskset)' : 'not pinned (no taskset or < 2 CPUs)'}; ` +
  `ping-pong (one request in flight per connection); ${rounds} rounds, variants interleaved, a fresh server process per measurement; ` +
  `${warmupMs} ms warmup + ${durationMs} ms measured each\n`)

const started = Date.now()
const samples = []
for (let round = 0; round < rounds; round++) {
  for (const [size, conns] of rows) {
    // Rotate the order each round so that no variant always runs first.
    const order = variantNames.map((_, i) => variantNames[(i + round) % variantNames.length])
    for (const variant of order) {
      const s = await measure(variant, size, conns)
      s.round = round
      samples.push(s)
      if (s.failed) console.log(`(round ${round + 1}: ${variant} ${fmtSize(size)} × ${conns} failed)`)
    }
  }
  process.stderr.write(`tcp-echo: round ${round + 1}/${rounds} done (${((Date.now() - started) / 1000).toFixed(0)} s)\n`)
}

/** Medians of each metric for one variant and row. */
function med (variant, size, conns) {
  const xs = samples.filter((s) => s.variant === variant && s.size === size && s.conns === conns && !s.failed)
  const m = (k) => median(xs.map((s) => s[k]))
  return {
    n: xs.length,
    reqs: m('reqs'),
    mibs: m('mibs'),
    p99: m('p99'),
    cpuPerReq: m('cpuPerReq'),
    serverCpuShare: m('serverCpuShare'),
    rssMiB: m('rssMiB'),
    genShare: Math.max(...xs.map((s) => s.genShare)),
    reqsAll: xs.map((s) => s.reqs),
  }
}

const base = 'net'
const main = variantNames.includes('wireline') ? 'wireline' : variantNames.find((v) => v !== base)
let floorMet = 0
const mainRows = []
const floorMisses = []
for (const [size, conns] of rows) {
  const n = med(base, size, conns)
  const w = med(main, size, conns)
  const rq = ratio(w.reqs, n.reqs)
  const cpu = ratio(w.cpuPerReq, n.cpuPerReq)
  const ok = rq >= 0.95 && cpu <= 1.05
  if (ok) floorMet++
  else floorMisses.push(`${fmtSize(size)} × ${conns}`)
  mainRows.push([
    fmtSize(size), String(conns),
    fmt(n.reqs), fmt(w.reqs), fmtRatio(rq),
    fmt(n.mibs, 1), fmt(w.mibs, 1), fmtRatio(ratio(w.mibs, n.mibs)),
    fmt(n.p99), fmt(w.p99), fmtRatio(ratio(w.p99, n.p99)),
    fmt(n.cpuPerReq, 1), fmt(w.cpuPerReq, 1), fmtRatio(cpu),
    fmt(n.rssMiB, 0), fmt(w.rssMiB, 0), fmtRatio(ratio(w.rssMiB, n.rssMiB)),
    `${fmt(100 * Math.max(n.genShare, w.genShare))} %`,
    ok ? 'yes' : '**no**',
  ])
}
console.log(`### ${VARIANTS[main].label} / ${VARIANTS[base].label} (medians; × = ${VARIANTS[main].label} ÷ raw net)\n`)
console.log(table(
  ['message', 'conns', 'req/s net', 'req/s wl', '×', 'MiB/s net', 'MiB/s wl', '×', 'p99 µs net', 'p99 µs wl', '×',
    'CPU µs/req net', 'CPU µs/req wl', '×', 'peak RSS MiB net', 'peak RSS MiB wl', '×', 'gen CPU', 'floor'],
  mainRows,
))
console.log(`\nfloor (req/s × >= 0.95 and CPU/req × <= 1.05): met on ${floorMet}/${rows.length} rows` +
  (floorMisses.length ? `; missed on ${floorMisses.join(', ')}` : ''))
console.log('MiB/s counts the echoed payload one way; gen CPU is the load generator\'s own CPU time ÷ wall time ' +
  '(the highest of the two variants): near 100 % it, not the server, would be the limit.')

const others = variantNames.filter((v) => v !== base)
if (others.length > 1) {
  console.log(`\n### every variant against raw net (× = variant ÷ raw net, medians)\n`)
  const head = ['message', 'conns', 'net req/s', 'net CPU µs/req']
  for (const v of others) head.push(`${VARIANTS[v].label} req/s ×`, 'CPU/req ×')
  const rs = rows.map(([size, conns]) => {
    const n = med(base, size, conns)
    const cells = [fmtSize(size), String(conns), fmt(n.reqs), fmt(n.cpuPerReq, 1)]
    for (const v of others) {
      const m = med(v, size, conns)
      cells.push(fmtRatio(ratio(m.reqs, n.reqs)), fmtRatio(ratio(m.cpuPerReq, n.cpuPerReq)))
    }
    return cells
  })
  console.log(table(head, rs))
}

console.log('\n### spread: req/s of each round (thousands), per variant\n')
console.log(table(
  ['message', 'conns', ...variantNames.map((v) => VARIANTS[v].label)],
  rows.map(([size, conns]) => [fmtSize(size), String(conns),
    ...variantNames.map((v) => med(v, size, conns).reqsAll.map((x) => (x / 1000).toFixed(1)).join(' / '))]),
))
const path = saveResults('tcp-echo', { rounds, warmupMs, durationMs, rows, variants: variantNames, client: client.label, samples })
console.log(`\n(${((Date.now() - started) / 1000).toFixed(0)} s; raw samples in ${path.slice(benchDir.length - 6)})\n`)
