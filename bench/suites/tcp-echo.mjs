// TCP echo: a wireline echo server (@wireline/stream createServer + an echo Protocol that
// honours pauseWriting/resumeWriting) against the canonical raw `net` echo ('data' → write(),
// pause()/resume() on backpressure), measured in the same run by a ping-pong load generator.
//
//   node bench/suites/tcp-echo.mjs [--quick] [--anchors] [--rounds=N] [--duration=MS]
//        [--warmup=MS] [--slice=MS] [--rows=1024x10,65536x100] [--variants=net,wireline,...]
//        [--node-client]
//
// Variants: net, wireline, wireline-data (wireline with setAcceptedSocketFastPath(false): the
// documented 'data' read path), wireline-buffered (the echo as a @wireline/buffered
// BufferedProtocol: no allocation per read); the default is the first three.
//
// Each round of each row starts a fresh server process per variant, all pinned to CPU 0, and
// one load generator (C, compiled on first use into bench/.build/) pinned to CPU 1, which
// gives the servers turns of --slice ms until each had --duration ms measured: the variants
// are interleaved finely, so a noisy machine hits them alike. The tables show medians over
// the rounds. CPU per request comes from each server's own process.cpuUsage() over the
// measured window (it idles while the others have their turns), peak RSS from its maxRSS.
// `--anchors` adds CPython asyncio's Protocol echo, and uvloop's where it can be imported
// ($PYTHON, else python3.13, else python3).
import { spawnSync } from 'node:child_process'
import {
  benchDir, buildC, canPin, exited, fmt, fmtRatio, fmtSize, header, median, onLines, options, ratio,
  saveResults, spawnPinned, table,
} from '../lib/common.mjs'

const opt = options()
const quick = opt.quick === true
const rounds = Number(opt.rounds ?? (quick ? 2 : 5))
const warmupMs = Number(opt.warmup ?? (quick ? 400 : 600))
const durationMs = Number(opt.duration ?? (quick ? 500 : 1000)) // measured per variant
const sliceMs = Number(opt.slice ?? 100)
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
  'wireline-buffered': {
    label: 'wireline BufferedProtocol',
    cmd: process.execPath,
    args: [benchDir + 'lib/echo-server.mjs', 'wireline-buffered'],
  },
  asyncio: { label: 'asyncio', cmd: null, args: [benchDir + 'lib/echo_server.py', 'asyncio'] },
  uvloop: { label: 'uvloop', cmd: null, args: [benchDir + 'lib/echo_server.py', 'uvloop'] },
}

/** The first Python that runs `code`: $PYTHON, else python3.13 (asyncio's reference version), else python3. */
function findPython (code) {
  for (const py of [process.env.PYTHON, 'python3.13', 'python3']) {
    if (py && spawnSync(py, ['-c', code]).status === 0) return py
  }
  return null
}

/** `Python 3.13.0`, or the like, for the labels. */
function pythonVersion (py) {
  return spawnSync(py, ['--version'], { encoding: 'utf8' }).stdout.trim().replace('Python ', '')
}

let variantNames = typeof opt.variants === 'string'
  ? opt.variants.split(',')
  : quick ? ['net', 'wireline'] : ['net', 'wireline', 'wireline-data']
if (opt.anchors === true) {
  for (const [name, code] of [['asyncio', 'import asyncio'], ['uvloop', 'import uvloop']]) {
    const py = findPython(code)
    if (py === null) continue
    VARIANTS[name].cmd = py
    VARIANTS[name].label += ` (CPython ${pythonVersion(py)})`
    variantNames.push(name)
  }
}
variantNames = [...new Set(variantNames)]
for (const v of variantNames) if (!(v in VARIANTS)) throw new Error(`unknown variant ${v}`)

const cClient = opt['node-client'] === true ? null : buildC('tcp-echo-client')
const client = cClient !== null
  ? { cmd: cClient, args: [], label: 'C (cc -O2)' }
  : {
      cmd: process.execPath,
      args: [benchDir + 'lib/echo-client.mjs'],
      label: `Node (${opt['node-client'] === true ? '--node-client' : 'no C compiler found'}: it may be the bottleneck, see gen CPU)`,
    }

/** Starts one server of `variant`; resolves to { child, port, report() }. */
async function startServer (variant) {
  const v = VARIANTS[variant]
  const child = spawnPinned(0, v.cmd, v.args, { stdio: ['pipe', 'pipe', 'inherit'] })
  let onReport = () => {}
  const port = await new Promise((resolve, reject) => {
    onLines(child, (line) => {
      if (line.startsWith('PORT ')) resolve(Number(line.slice(5)))
      else if (line.startsWith('REPORT ')) onReport(JSON.parse(line.slice(7)))
    })
    child.once('exit', () => reject(new Error(`the ${variant} server exited early`)))
  })
  return {
    child,
    port,
    mark: () => child.stdin.write('mark\n'),
    report: () => new Promise((resolve) => {
      onReport = resolve
      child.stdin.write('report\n')
      child.once('exit', () => resolve(null))
    }),
  }
}

/**
 * One round of one row: a fresh server process per variant, all alive at once, and one
 * generator that gives them turns of `sliceMs` (see loadgen/tcp-echo-client.c), `order`
 * deciding who goes first. Returns one sample per variant.
 */
async function measure (order, size, conns) {
  const servers = []
  for (const variant of order) servers.push(await startServer(variant))
  const gen = spawnPinned(1, client.cmd, [...client.args, '127.0.0.1', String(size), String(conns), String(warmupMs),
    String(durationMs * order.length), String(sliceMs), ...servers.map((s) => String(s.port))],
  { stdio: ['ignore', 'pipe', 'inherit'] })
  const results = []
  let end = null
  onLines(gen, (line) => {
    if (line === 'START') for (const s of servers) s.mark()
    else if (line.startsWith('RESULT ')) {
      const rest = line.slice(7)
      const sp = rest.indexOf(' ')
      results[Number(rest.slice(0, sp))] = JSON.parse(rest.slice(sp + 1))
    } else if (line.startsWith('END ')) end = JSON.parse(line.slice(4))
  })
  const timer = setTimeout(() => {
    gen.kill('SIGKILL')
    for (const s of servers) s.child.kill('SIGKILL')
  }, warmupMs + durationMs * order.length + 20_000)
  const [code] = await exited(gen)
  const reports = end === null ? [] : await Promise.all(servers.map((s) => s.report()))
  for (const s of servers) s.child.stdin.end()
  await Promise.all(servers.map((s) => exited(s.child)))
  clearTimeout(timer)
  return order.map((variant, i) => {
    const result = results[i]
    const report = reports[i]
    if (code !== 0 || end === null || result == null || report == null) return { variant, size, conns, failed: true }
    return {
      variant,
      size,
      conns,
      reqs: result.requests / result.seconds,
      mibs: result.bytes / result.seconds / (1 << 20),
      p50: result.p50_us,
      p99: result.p99_us,
      cpuPerReq: report.cpu_us / Math.max(1, result.requests),
      serverCpuShare: report.cpu_us / 1e6 / result.seconds,
      rssMiB: report.max_rss_kib / 1024,
      genShare: result.cpu_s / result.seconds,
    }
  })
}

console.log('## TCP echo: wireline vs raw `net`\n')
console.log(header('tcp-echo'))
console.log(`load generator: ${client.label}; ${canPin() ? 'server pinned to CPU 0, generator to CPU 1 (taskset)' : 'not pinned (no taskset or < 2 CPUs)'}; ` +
  `ping-pong (one request in flight per connection); ${rounds} rounds per row, fresh server processes each round; ` +
  `the variants take turns of ${sliceMs} ms (${warmupMs} ms warmup in all, then ${durationMs} ms measured per variant)\n`)

const started = Date.now()
const samples = []
for (let round = 0; round < rounds; round++) {
  for (const [size, conns] of rows) {
    // Rotate the order each round so that no variant always runs first.
    const order = variantNames.map((_, i) => variantNames[(i + round) % variantNames.length])
    for (const s of await measure(order, size, conns)) {
      s.round = round
      samples.push(s)
      if (s.failed) console.log(`(round ${round + 1}: ${s.variant} ${fmtSize(size)} × ${conns} failed)`)
    }
  }
  process.stderr.write(`tcp-echo: round ${round + 1}/${rounds} done (${((Date.now() - started) / 1000).toFixed(0)} s)\n`)
}

const METRICS = ['reqs', 'mibs', 'p99', 'cpuPerReq', 'rssMiB', 'serverCpuShare', 'genShare']

/** The samples of one variant and row, by round. */
function byRound (variant, size, conns) {
  const out = new Map()
  for (const s of samples) {
    if (s.variant === variant && s.size === size && s.conns === conns && !s.failed) out.set(s.round, s)
  }
  return out
}

/** Medians over the rounds of each metric of one variant and row. */
function med (variant, size, conns) {
  const xs = [...byRound(variant, size, conns).values()]
  const out = { n: xs.length, reqsAll: xs.map((s) => s.reqs) }
  for (const k of METRICS) out[k] = median(xs.map((s) => s[k]))
  return out
}

/**
 * `variant ÷ base` for each metric: the median over the rounds of the ratio within each round
 * (the variants of one round ran side by side, so their ratio is far steadier than the
 * ratio of two medians taken over rounds the machine ran at different speeds).
 */
function paired (variant, base, size, conns) {
  const a = byRound(variant, size, conns)
  const b = byRound(base, size, conns)
  const out = {}
  for (const k of METRICS) {
    out[k] = median([...a].filter(([r]) => b.has(r)).map(([r, s]) => ratio(s[k], b.get(r)[k])))
  }
  return out
}

const base = 'net'
const main = variantNames.includes('wireline') ? 'wireline' : variantNames.find((v) => v !== base)
let floorMet = 0
const mainRows = []
const floorMisses = []
for (const [size, conns] of rows) {
  const n = med(base, size, conns)
  const w = med(main, size, conns)
  const x = paired(main, base, size, conns)
  const ok = x.reqs >= 0.95 && x.cpuPerReq <= 1.05
  if (ok) floorMet++
  else floorMisses.push(`${fmtSize(size)} × ${conns}`)
  mainRows.push([
    fmtSize(size), String(conns),
    fmt(n.reqs), fmt(w.reqs), fmtRatio(x.reqs),
    fmt(n.mibs, 1), fmt(w.mibs, 1), fmtRatio(x.mibs),
    fmt(n.p99), fmt(w.p99), fmtRatio(x.p99),
    fmt(n.cpuPerReq, 1), fmt(w.cpuPerReq, 1), fmtRatio(x.cpuPerReq),
    fmt(n.rssMiB, 0), fmt(w.rssMiB, 0), fmtRatio(x.rssMiB),
    ok ? 'yes' : '**no**',
  ])
}
const wl = VARIANTS[main].label
console.log(`### ${wl} against raw net\n`)
console.log(`Values are medians over the rounds; × is ${wl} ÷ raw net, the median of the ratios within each round.\n`)
console.log(table(
  ['message', 'conns', 'req/s net', 'req/s wl', '×', 'MiB/s net', 'MiB/s wl', '×', 'p99 µs net', 'p99 µs wl', '×',
    'CPU µs/req net', 'CPU µs/req wl', '×', 'peak RSS MiB net', 'peak RSS MiB wl', '×', 'floor'],
  mainRows,
))
console.log(`\nfloor (req/s × >= 0.95 and CPU/req × <= 1.05): met on ${floorMet}/${rows.length} rows` +
  (floorMisses.length ? `; missed on ${floorMisses.join(', ')}` : ''))
console.log('MiB/s counts the echoed payload one way. CPU µs/req: the server\'s own process.cpuUsage() over the ' +
  'measured window ÷ the requests the generator completed on it; peak RSS: its maxRSS.')

const others = variantNames.filter((v) => v !== base)
if (others.length > 1) {
  console.log('\n### every variant against raw net (× = variant ÷ raw net, median of the per-round ratios)\n')
  const head = ['message', 'conns']
  for (const v of others) head.push(`${VARIANTS[v].label}: req/s ×`, 'CPU/req ×', 'p99 ×')
  const rs = rows.map(([size, conns]) => {
    const cells = [fmtSize(size), String(conns)]
    for (const v of others) {
      const x = paired(v, base, size, conns)
      cells.push(fmtRatio(x.reqs), fmtRatio(x.cpuPerReq), fmtRatio(x.p99))
    }
    return cells
  })
  console.log(table(head, rs))
}

console.log('\n### conditions: who was busy, and the spread between rounds\n')
console.log('server CPU: the server\'s CPU time ÷ the time it had connections active; gen CPU: the load generator\'s, ' +
  'over the same turns. When neither is near 100 %, ping-pong is bound by the round trip (wake-ups across CPUs), ' +
  'where a server that needs less CPU per request still answers sooner.\n')
console.log(table(
  ['message', 'conns', ...variantNames.flatMap((v) => [`${VARIANTS[v].label}: server CPU`, 'gen CPU', 'req/s by round (k)'])],
  rows.map(([size, conns]) => [fmtSize(size), String(conns), ...variantNames.flatMap((v) => {
    const m = med(v, size, conns)
    return [`${fmt(100 * m.serverCpuShare)} %`, `${fmt(100 * m.genShare)} %`,
      m.reqsAll.map((x) => (x / 1000).toFixed(1)).join(' / ')]
  })]),
))
const path = saveResults('tcp-echo', { rounds, warmupMs, durationMs, rows, variants: variantNames, client: client.label, samples })
console.log(`\n(${((Date.now() - started) / 1000).toFixed(0)} s; raw samples in ${path.slice(benchDir.length - 6)})\n`)
