// TCP echo: a wireline echo server (@wireline/stream createServer + an echo Protocol that
// honours pauseWriting/resumeWriting) against the canonical raw `net` echo ('data' → write(),
// pause()/resume() on backpressure), measured in the same run by a ping-pong load generator.
//
//   node bench/suites/tcp-echo.mjs [--quick] [--anchors] [--rounds=N] [--duration=MS]
//        [--warmup=MS] [--slice=MS] [--rows=1024x10,65536x100] [--variants=net,wireline,...]
//        [--node-client] [--baseline=DIR [--base=baseline]]
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
  benchDir, buildC, canPin, fmtSize, header, options, rotate, roundStats, saveResults,
} from '../lib/common.mjs'
import { ECHO_METRICS, measureEchoRound, printEchoTables } from '../lib/echo-run.mjs'

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
  'wireline-subscribed': {
    label: 'wireline, diagnostics subscriber',
    cmd: process.execPath,
    args: [benchDir + 'lib/echo-server.mjs', 'wireline', '--subscribe'],
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

// --baseline=DIR: the wireline echo of another checkout (its bench/ folder, packages built)
// runs beside this one in the same rounds, to compare two builds; --base=baseline takes the
// ratios against it instead of raw net.
if (typeof opt.baseline === 'string') {
  const dir = opt.baseline.replace(/\/?$/, '/')
  const rev = spawnSync('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout.trim()
  VARIANTS.baseline = { label: `wireline at ${rev || dir}`, cmd: process.execPath, args: [dir + 'lib/echo-server.mjs', 'wireline'] }
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
if (VARIANTS.baseline !== undefined) variantNames.push('baseline')
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

/** The command and arguments that start a variant's server. */
const serverCommand = (variant) => [VARIANTS[variant].cmd, VARIANTS[variant].args]

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
    const order = rotate(variantNames, round)
    const round1 = { order, server: serverCommand, client, size, conns, warmupMs, durationMs, sliceMs }
    for (const s of await measureEchoRound(round1)) {
      s.round = round
      samples.push(s)
      if (s.failed) console.log(`(round ${round + 1}: ${s.variant} ${fmtSize(size)} × ${conns} failed)`)
    }
  }
  process.stderr.write(`tcp-echo: round ${round + 1}/${rounds} done (${((Date.now() - started) / 1000).toFixed(0)} s)\n`)
}

const stats = roundStats(samples, ECHO_METRICS, (s) => `${s.size}x${s.conns}`)
const base = typeof opt.base === 'string' ? opt.base : 'net'
if (!variantNames.includes(base)) throw new Error(`--base=${base} is not among the variants`)
const main = variantNames.includes('wireline') ? 'wireline' : variantNames.find((v) => v !== 'net')
printEchoTables({
  rows, variants: variantNames, labelOf: (v) => VARIANTS[v].label, base, main, stats, short: base,
})
const path = saveResults('tcp-echo', { rounds, warmupMs, durationMs, rows, variants: variantNames, client: client.label, samples })
console.log(`\n(${((Date.now() - started) / 1000).toFixed(0)} s; raw samples in ${path.slice(benchDir.length - 6)})\n`)
