// Multi-core scale-out: the TCP echo at 1 KiB × 100 connections served by one process against
// two, with wireline and raw `net` side by side in the same interleaved run (tcp-echo's method).
//
//   node bench/suites/multicore.mjs [--quick] [--rounds=N] [--duration=MS] [--warmup=MS]
//        [--slice=MS] [--rows=1024x100] [--variants=...]
//
// Variants: wireline-1proc (one process), wireline-cluster2 (two `node:cluster` workers: the
// primary accepts and hands connections to the workers round-robin), wireline-reuseport2 (two
// processes that each bind the port with SO_REUSEPORT, on a Node that has `reusePort`:
// 22.12+/23.1+), and raw net in one process and in two cluster workers; the base of the
// ratios is raw net in one process, and the floor is checked like for like (wireline in one
// process against raw net in one, in two cluster workers against raw net's two; reusePort,
// which raw net has no row for, against raw net's two workers). No server is pinned (the
// workers must be free to use both CPUs); the generator still is, to CPU 1, so on a 2-CPU
// machine the second process competes with the generator: the row measures what a second
// process buys here, not on a big machine.
// CPU per request sums the primary's and the workers' CPU time.
import { fmtRatio, fmtSize, options, table } from '../lib/common.mjs'
import { echoRowKey, parseRows } from '../lib/echo-run.mjs'
import { echoClient, echoVariants, runEchoSuite } from '../lib/echo-suite.mjs'

const opt = options()
const quick = opt.quick === true
const variants = echoVariants()
variants.net = { ...variants.net, label: 'raw net, 1 process (unpinned)', cpu: null }
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number)
const hasReusePort = major >= 23 || (major === 22 && minor >= 12)
const rows = typeof opt.rows === 'string' ? parseRows(opt.rows) : [[1024, 100]]
const variantNames = typeof opt.variants === 'string'
  ? opt.variants.split(',')
  : ['net', 'net-cluster2', 'wireline-1proc', 'wireline-cluster2', ...(hasReusePort ? ['wireline-reuseport2'] : [])]
for (const v of variantNames) if (!(v in variants)) throw new Error(`unknown variant ${v}`)

const { stats } = await runEchoSuite({
  name: 'multicore',
  title: 'Multi-core: 1 vs 2 processes',
  rows,
  variantNames,
  variants,
  client: echoClient(opt),
  main: 'wireline-cluster2',
  rounds: Number(opt.rounds ?? (quick ? 2 : 5)),
  warmupMs: Number(opt.warmup ?? (quick ? 400 : 600)),
  durationMs: Number(opt.duration ?? (quick ? 500 : 1000)),
  sliceMs: Number(opt.slice ?? 100),
  notes: hasReusePort ? [] : [`reusePort: not on Node ${process.versions.node} (22.12+/23.1+), so no reusePort row`],
})

// The scale-out itself: each two-process variant against its one-process form, within each round.
const pairs = [['wireline-cluster2', 'wireline-1proc'], ['wireline-reuseport2', 'wireline-1proc'], ['net-cluster2', 'net']]
  .filter(([a, b]) => variantNames.includes(a) && variantNames.includes(b))
if (pairs.length > 0) {
  console.log('### 2 processes ÷ 1 process (median of the per-round ratios)\n')
  console.log(table(['message', 'conns', ...pairs.flatMap(([a]) => [`${variants[a].label}: req/s ×`, 'CPU/req ×', 'p99 ×'])],
    rows.map(([size, conns, depth]) => [fmtSize(size), String(conns), ...pairs.flatMap(([a, b]) => {
      const x = stats.paired(a, b, echoRowKey(size, conns, depth))
      return [fmtRatio(x.reqs), fmtRatio(x.cpuPerReq), fmtRatio(x.p99)]
    })])))
  console.log('')
}

// The floor, like for like: each wireline shape against raw net in the same number of processes.
const sameShape = [['wireline-1proc', 'net'], ['wireline-cluster2', 'net-cluster2'], ['wireline-reuseport2', 'net-cluster2']]
  .filter(([a, b]) => variantNames.includes(a) && variantNames.includes(b))
if (sameShape.length > 0) {
  console.log('### wireline ÷ raw net with as many processes (median of the per-round ratios)\n')
  const missed = []
  console.log(table(['message', 'conns', ...sameShape.flatMap(([a, b]) => [`${variants[a].label} ÷ ${variants[b].label}: req/s ×`, 'CPU/req ×'])],
    rows.map(([size, conns, depth]) => [fmtSize(size), String(conns), ...sameShape.flatMap(([a, b]) => {
      const x = stats.paired(a, b, echoRowKey(size, conns, depth))
      if (!(x.reqs >= 0.95 && x.cpuPerReq <= 1.05)) missed.push(`${variants[a].label} at ${fmtSize(size)} × ${conns}`)
      return [fmtRatio(x.reqs), fmtRatio(x.cpuPerReq)]
    })])))
  console.log(`\nfloor like for like (req/s × >= 0.95 and CPU/req × <= 1.05): ${missed.length === 0 ? 'met in every cell' : `missed: ${missed.join('; ')}`}\n`)
}
