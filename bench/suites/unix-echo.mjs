// Unix-socket echo: tcp-echo's servers and method on Unix domain sockets (wireline's
// createUnixServer, raw `net.createServer().listen(path)`, asyncio's create_unix_server,
// Bun.listen({ unix })), each server on a socket of its own in a temp directory.
//
//   node bench/suites/unix-echo.mjs [--quick] [--anchors] [--rounds=N] [--duration=MS]
//        [--warmup=MS] [--slice=MS] [--rows=64x1,65536x10] [--variants=net,wireline,...]
//        [--node-client]
//
// Rows: 64 B × 1, 1 KiB × 10, 16 KiB × 10 and 64 KiB × 10, ping-pong. Variants: net,
// wireline, wireline-buffered by default (wireline-data and the net-again control too on
// request); `--anchors` as in tcp-echo. The accepted socket of a Unix server takes the same
// onread fast path as TCP's.
import { options } from '../lib/common.mjs'
import { parseRows } from '../lib/echo-run.mjs'
import { echoClient, echoVariants, findAnchors, runEchoSuite } from '../lib/echo-suite.mjs'

const opt = options()
const quick = opt.quick === true
const rows = typeof opt.rows === 'string'
  ? parseRows(opt.rows)
  : [[64, 1], [1024, 10], [16 * 1024, 10], [64 * 1024, 10]]

const variants = echoVariants()
const variantNames = typeof opt.variants === 'string' ? opt.variants.split(',') : ['net', 'wireline', 'wireline-buffered']
const notes = []
if (opt.anchors === true) {
  const { found, missing } = findAnchors(variants)
  variantNames.push(...found)
  if (missing.length) notes.push(`anchors not found: ${missing.join('; ')}`)
}
for (const v of variantNames) {
  if (!(v in variants) || variants[v].cpu === null) throw new Error(`unknown variant ${v} (or not one for Unix sockets)`)
}

await runEchoSuite({
  name: 'unix-echo',
  title: 'Unix-socket echo: wireline vs raw `net`',
  rows,
  variantNames: [...new Set(variantNames)],
  variants,
  client: echoClient(opt),
  unix: true,
  rounds: Number(opt.rounds ?? (quick ? 2 : 5)),
  warmupMs: Number(opt.warmup ?? (quick ? 400 : 600)),
  durationMs: Number(opt.duration ?? (quick ? 500 : 1000)),
  sliceMs: Number(opt.slice ?? 100),
  notes,
})
