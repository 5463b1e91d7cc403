// HTTP/1.1: the wireline example server (packages/examples, an HTTP parser on a stream
// Protocol) against a node:http server with the same routes (lib/http-node-server.mjs), both
// under wrk, in the same run.
//
//   node bench/suites/http.mjs [--quick] [--rounds=N] [--duration=S] [--conns=1,100]
//
// Both servers run at once, each in its own process pinned to CPU 0; wrk (one thread) is
// pinned to CPU 1. Each round runs wrk against each server in turn (the order rotates), for
// every connection count; a warm-up run per server comes first. Reported: req/s and p99
// latency (wrk's), and CPU per request: the server's utime + stime from /proc over the run ÷
// the requests wrk completed. Ratios are wireline ÷ node:http, the median of the ratios
// within each round. Needs the examples built (`pnpm bench` builds them) and `wrk`.
import { spawn, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import {
  benchDir, canPin, exited, fmt, fmtRatio, header, onLines, options, rotate, roundStats, saveResults, spawnPinned, table,
} from '../lib/common.mjs'

const opt = options()
const quick = opt.quick === true
const rounds = Number(opt.rounds ?? (quick ? 2 : 7))
const duration = Number(opt.duration ?? (quick ? 2 : 3)) // seconds per wrk run
const CONNS = typeof opt.conns === 'string' ? opt.conns.split(',').map(Number) : [1, 100]
const examplesDist = new URL('../../packages/examples/dist/', import.meta.url)

if (spawnSync('wrk', ['--version']).error) {
  console.log('## HTTP/1.1: wireline example vs node:http\n\n(skipped: `wrk` is not installed)\n')
  process.exit(0)
}

const VARIANTS = {
  node: { label: 'node:http', args: [benchDir + 'lib/http-node-server.mjs', '0'] },
  wireline: { label: 'wireline example', args: [new URL('http-server.js', examplesDist).pathname, '0'] },
}
const variantNames = Object.keys(VARIANTS)
const TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100

/** utime + stime of a process, in µs. */
function cpuMicros (pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 1e6 / TICKS
}

async function startServer (name) {
  const child = spawnPinned(0, process.execPath, VARIANTS[name].args, { stdio: ['ignore', 'pipe', 'inherit'] })
  const port = await new Promise((resolve, reject) => {
    onLines(child, (line) => {
      const m = /^Listening on http:\/\/127\.0\.0\.1:(\d+)\/$/.exec(line)
      if (m) resolve(Number(m[1]))
    })
    child.once('exit', () => reject(new Error(`${name} server exited early`)))
  })
  return { child, port }
}

/** wrk's latency ("12.34us", "1.20ms", "2.00s") in µs. */
function micros (s) {
  const m = /^([\d.]+)(us|ms|s)$/.exec(s)
  if (!m) return NaN
  return Number(m[1]) * { us: 1, ms: 1e3, s: 1e6 }[m[2]]
}

/** One wrk run; resolves to its figures, with the server's CPU time over it. */
async function runWrk (server, conns, seconds) {
  const before = cpuMicros(server.child.pid)
  const wrk = spawnPinned(1, 'wrk', ['-t1', `-c${conns}`, `-d${seconds}s`, '--latency', `http://127.0.0.1:${server.port}/`],
    { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  wrk.stdout.on('data', (d) => { out += d })
  const timer = setTimeout(() => wrk.kill('SIGKILL'), (seconds + 15) * 1000)
  const [code] = await exited(wrk)
  clearTimeout(timer)
  const cpu = cpuMicros(server.child.pid) - before
  const requests = Number(/(\d+) requests in/.exec(out)?.[1])
  const errors = /Non-2xx|Socket errors/.test(out)
  return {
    failed: code !== 0 || !Number.isFinite(requests) || errors,
    reqs: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]),
    p50: micros(/^\s+50%\s+(\S+)/m.exec(out)?.[1] ?? ''),
    p99: micros(/^\s+99%\s+(\S+)/m.exec(out)?.[1] ?? ''),
    cpuPerReq: cpu / requests,
    cpuShare: cpu / 1e6 / seconds,
    raw: errors ? out : undefined,
  }
}

console.log('## HTTP/1.1: wireline example vs node:http, under wrk\n')
console.log(header('http'))
console.log(`wrk -t1, GET / (\`Hello World!\`, keep-alive); ${canPin() ? 'servers pinned to CPU 0, wrk to CPU 1 (taskset)' : 'not pinned'}; ` +
  `${rounds} rounds of ${duration} s per server and connection count, the order rotating; one warm-up run per server\n`)

const servers = {}
for (const v of variantNames) servers[v] = await startServer(v)
const started = Date.now()
const samples = []
try {
  for (const v of variantNames) await runWrk(servers[v], 100, 1) // warm-up: JIT, accept path
  for (let round = 0; round < rounds; round++) {
    for (const conns of CONNS) {
      for (const v of rotate(variantNames, round)) {
        const s = await runWrk(servers[v], conns, duration)
        samples.push({ ...s, variant: v, conns, round })
        if (s.failed) console.log(`(round ${round + 1}: ${v} × ${conns} failed${s.raw ? `:\n${s.raw}` : ''})`)
      }
    }
    process.stderr.write(`http: round ${round + 1}/${rounds} done (${((Date.now() - started) / 1000).toFixed(0)} s)\n`)
  }
} finally {
  for (const v of variantNames) servers[v].child.kill('SIGTERM')
  await Promise.all(variantNames.map((v) => exited(servers[v].child)))
}

const stats = roundStats(samples, ['reqs', 'p50', 'p99', 'cpuPerReq', 'cpuShare'], (s) => String(s.conns))
const rows = CONNS.map((c) => {
  const n = stats.med('node', String(c))
  const w = stats.med('wireline', String(c))
  const x = stats.paired('wireline', 'node', String(c))
  return [String(c), fmt(n.reqs), fmt(w.reqs), fmtRatio(x.reqs), fmt(n.p99), fmt(w.p99), fmtRatio(x.p99),
    fmt(n.cpuPerReq, 1), fmt(w.cpuPerReq, 1), fmtRatio(x.cpuPerReq), `${fmt(100 * n.cpuShare)} / ${fmt(100 * w.cpuShare)} %`]
})
console.log(table(['conns', 'req/s node:http', 'req/s wireline', '×', 'p99 µs node:http', 'p99 µs wireline', '×',
  'CPU µs/req node:http', 'CPU µs/req wireline', '×', 'server CPU node / wl'], rows))
console.log('\nValues are medians over the rounds; × is wireline ÷ node:http, the median of the per-round ratios. ' +
  'CPU µs/req: the server process\'s utime + stime (/proc) over the run ÷ the requests wrk completed.')
console.log('req/s by round (k): ' + CONNS.map((c) => `${c} conns: ` + variantNames.map((v) =>
  `${VARIANTS[v].label} ${stats.med(v, String(c)).all('reqs').map((r) => (r / 1000).toFixed(1)).join('/')}`).join(', ')).join('; '))
const path = saveResults('http', { rounds, duration, conns: CONNS, samples })
console.log(`\n(${((Date.now() - started) / 1000).toFixed(0)} s; raw samples in ${path.slice(benchDir.length - 6)})\n`)
