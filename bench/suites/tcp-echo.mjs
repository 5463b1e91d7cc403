// TCP echo: a wireline echo server (@wireline/stream createServer + an echo Protocol that
// honours pauseWriting/resumeWriting) against the canonical raw `net` echo ('data' → write(),
// pause()/resume() on backpressure), measured in the same run by a ping-pong load generator.
//
//   node bench/suites/tcp-echo.mjs [--quick] [--anchors] [--rounds=N] [--duration=MS]
//        [--warmup=MS] [--slice=MS] [--rows=1024x10,65536x1x16] [--variants=net,wireline,...]
//        [--node-client] [--baseline=DIR [--base=baseline]]
//
// Variants: net, wireline, wireline-data (wireline with setAcceptedSocketFastPath(false): the
// documented 'data' read path), wireline-buffered (the echo as a @wireline/buffered
// BufferedProtocol), wireline-subscribed (wireline with a subscriber on every diagnostics
// channel), net-again (a second raw net server: a control, its ratio to the first is the
// method's own noise); the first four by default (--quick: net, wireline, wireline-buffered).
// --baseline=DIR: the wireline echo of another checkout (its bench/ folder, packages built)
// runs beside this one in the same rounds, to compare two builds; --base=baseline takes the
// ratios against it instead of raw net.
//
// Rows: 64 B, 1 KiB, 16 KiB and 64 KiB messages over 1, 10 and 100 connections, ping-pong
// (one request in flight per connection), and a bulk echo: one connection that keeps 16
// messages of 64 KiB in flight (1 MiB), so its stream never waits for a round trip
// (`--rows` spells it 65536x1x16: SIZExCONNSxDEPTH).
//
// Each round of each row starts a fresh server process per variant, all pinned to CPU 0, and
// one load generator (C, compiled on first use into bench/.build/) pinned to CPU 1, which
// gives the servers turns of --slice ms until each had --duration ms measured: the variants
// are interleaved finely, so a noisy machine hits them alike. The tables show medians over
// the rounds. CPU per request comes from each server's own process.cpuUsage() over the
// measured window (it idles while the others have their turns), peak RSS from its maxRSS.
// `--anchors` adds CPython asyncio's Protocol echo, uvloop's where it can be imported
// ($PYTHON, else python3.13, else python3), and Bun's `Bun.listen` echo where a `bun` binary
// is found ($BUN, else on the PATH; the `bun` npm package has one).
import { spawnSync } from 'node:child_process'
import { options } from '../lib/common.mjs'
import { parseRows } from '../lib/echo-run.mjs'
import { echoClient, echoVariants, findAnchors, runEchoSuite } from '../lib/echo-suite.mjs'

const opt = options()
const quick = opt.quick === true
const SIZES = [64, 1024, 16 * 1024, 64 * 1024]
const CONNS = [1, 10, 100]
const BULK = [64 * 1024, 1, 16]
const rows = typeof opt.rows === 'string'
  ? parseRows(opt.rows)
  : quick
    ? [[64, 1], [1024, 10], [1024, 100], [16 * 1024, 10], [64 * 1024, 100], BULK]
    : [...SIZES.flatMap((s) => CONNS.map((c) => [s, c])), BULK]

const variants = echoVariants()
const variantNames = typeof opt.variants === 'string'
  ? opt.variants.split(',')
  : quick ? ['net', 'wireline', 'wireline-buffered'] : ['net', 'wireline', 'wireline-data', 'wireline-buffered']
const notes = []
if (opt.anchors === true) {
  const { found, missing } = findAnchors(variants)
  variantNames.push(...found)
  if (missing.length) notes.push(`anchors not found: ${missing.join('; ')}`)
}
if (typeof opt.baseline === 'string') {
  const dir = opt.baseline.replace(/\/?$/, '/')
  const rev = spawnSync('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout.trim()
  variants.baseline = { label: `wireline at ${rev || dir}`, cmd: process.execPath, args: [dir + 'lib/echo-server.mjs', 'wireline'] }
  variantNames.push('baseline')
}
for (const v of variantNames) if (!(v in variants)) throw new Error(`unknown variant ${v}`)

await runEchoSuite({
  name: 'tcp-echo',
  title: 'TCP echo: wireline vs raw `net`',
  rows,
  variantNames: [...new Set(variantNames)],
  variants,
  client: echoClient(opt),
  rounds: Number(opt.rounds ?? (quick ? 2 : 7)),
  warmupMs: Number(opt.warmup ?? (quick ? 400 : 600)),
  durationMs: Number(opt.duration ?? (quick ? 500 : 1000)), // measured per variant
  sliceMs: Number(opt.slice ?? 100),
  base: typeof opt.base === 'string' ? opt.base : 'net',
  notes,
})
