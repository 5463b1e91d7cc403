// TCP echo with asyncio's high-level streams: a `startServer` echo (`reader.read()`,
// `writer.write()`, `await writer.drain()`) against the raw `net` echo and the wireline
// Protocol echo, measured in the same run by the ping-pong load generator of tcp-echo.mjs
// (the same servers, lib/echo-server.mjs, and the same measuring loop, lib/echo-run.mjs).
//
//   node bench/suites/streams-echo.mjs [--quick] [--rounds=N] [--duration=MS] [--warmup=MS]
//        [--slice=MS] [--rows=1024x10,65536x10] [--node-client]
//
// The floor is the streams echo at >= 0.95x raw `net`'s req/s; the Protocol echo's row shows
// what the streams layer costs on top of the Protocol it is built on.
import {
  benchDir, buildC, canPin, fmtRatio, fmtSize, header, options, rotate, roundStats, saveResults, table,
} from '../lib/common.mjs'
import { ECHO_METRICS, measureEchoRound, printEchoTables } from '../lib/echo-run.mjs'

const opt = options()
const quick = opt.quick === true
const rounds = Number(opt.rounds ?? (quick ? 2 : 5))
const warmupMs = Number(opt.warmup ?? (quick ? 400 : 600))
const durationMs = Number(opt.duration ?? (quick ? 500 : 1000)) // measured per variant
const sliceMs = Number(opt.slice ?? 100)
const rows = typeof opt.rows === 'string'
  ? opt.rows.split(',').map((r) => r.split('x').map(Number))
  : [[1024, 10], [64 * 1024, 10]]

const server = benchDir + 'lib/echo-server.mjs'
const VARIANTS = {
  net: { label: 'raw net', args: [server, 'net'] },
  wireline: { label: 'wireline Protocol', args: [server, 'wireline'] },
  streams: { label: 'wireline streams', args: [server, 'streams'] },
}
const variantNames = Object.keys(VARIANTS)

const cClient = opt['node-client'] === true ? null : buildC('tcp-echo-client')
const client = cClient !== null
  ? { cmd: cClient, args: [], label: 'C (cc -O2)' }
  : {
      cmd: process.execPath,
      args: [benchDir + 'lib/echo-client.mjs'],
      label: `Node (${opt['node-client'] === true ? '--node-client' : 'no C compiler found'}: it may be the bottleneck, see gen CPU)`,
    }

console.log('## TCP echo with high-level streams: startServer vs raw `net` and the Protocol echo\n')
console.log(header('streams-echo'))
console.log(`load generator: ${client.label}; ${canPin() ? 'servers pinned to CPU 0, generator to CPU 1 (taskset)' : 'not pinned (no taskset or < 2 CPUs)'}; ` +
  `ping-pong (one request in flight per connection); ${rounds} rounds per row, fresh server processes each round; ` +
  `the variants take turns of ${sliceMs} ms (${warmupMs} ms warmup in all, then ${durationMs} ms measured per variant)\n`)

const started = Date.now()
const samples = []
for (let round = 0; round < rounds; round++) {
  for (const [size, conns] of rows) {
    const order = rotate(variantNames, round)
    const spec = {
      order, server: (v) => [process.execPath, VARIANTS[v].args], client, size, conns, warmupMs, durationMs, sliceMs,
    }
    for (const s of await measureEchoRound(spec)) {
      s.round = round
      samples.push(s)
      if (s.failed) console.log(`(round ${round + 1}: ${s.variant} ${fmtSize(size)} × ${conns} failed)`)
    }
  }
  process.stderr.write(`streams-echo: round ${round + 1}/${rounds} done (${((Date.now() - started) / 1000).toFixed(0)} s)\n`)
}

const key = (s) => `${s.size}x${s.conns}`
const stats = roundStats(samples, ECHO_METRICS, key)
printEchoTables({
  rows, variants: variantNames, labelOf: (v) => VARIANTS[v].label, base: 'net', main: 'streams', stats, short: 'net',
})

console.log('\n### streams against the Protocol echo (× = streams ÷ Protocol, median of the per-round ratios)\n')
console.log(table(
  ['message', 'conns', 'req/s ×', 'CPU/req ×', 'p99 ×', 'peak RSS ×'],
  rows.map(([size, conns]) => {
    const x = stats.paired('streams', 'wireline', `${size}x${conns}`)
    return [fmtSize(size), String(conns), fmtRatio(x.reqs), fmtRatio(x.cpuPerReq), fmtRatio(x.p99), fmtRatio(x.rssMiB)]
  }),
))
const path = saveResults('streams-echo', { rounds, warmupMs, durationMs, rows, variants: variantNames, client: client.label, samples })
console.log(`\n(${((Date.now() - started) / 1000).toFixed(0)} s; raw samples in ${path.slice(benchDir.length - 6)})\n`)
