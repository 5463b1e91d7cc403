// Memory per connection: 10 000 connections held idle, then each echoing 16 bytes once, by a
// raw `net` echo server and by a wireline one (`@wireline/stream` createServer + Protocol),
// each in its own process; the server's RSS (after gc) over its RSS before the connections,
// divided by the count. Rounds alternate the variants; the ratio is per round (both variants
// of a round ran back to back), median over the rounds. Target (issue 12): wireline / raw
// <= 1.1 after the echo.
//
//   node bench/suites/conn-memory.mjs [--quick] [--connections=10000] [--rounds=3]
//
// Server and client each run under `ulimit -n` raised to the hard limit (they need one
// descriptor a connection). Imports the BUILT @wireline/stream: run `pnpm bench conn-memory`.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { exited, fmt, fmtRatio, header, median, onLines, options, ratio, rotate, saveResults, table } from '../lib/common.mjs'

const opts = options()
const quick = opts.quick === true
const CONNECTIONS = Number(opts.connections ?? (quick ? 2000 : 10_000))
const ROUNDS = Number(opts.rounds ?? (quick ? 1 : 3))
const DEADLINE_MS = 300_000
const lib = fileURLToPath(new URL('../lib/', import.meta.url))

setTimeout(() => {
  console.error(`conn-memory: did not finish within ${DEADLINE_MS / 1000} s`)
  process.exit(1)
}, DEADLINE_MS).unref()

/** Spawns a node script under the raised descriptor limit, with a line reader. */
function child (script, args) {
  const quote = (s) => `'${String(s).replace(/'/g, "'\\''")}'`
  const cmd = `ulimit -n "$(ulimit -Hn)" && exec ${quote(process.execPath)} --expose-gc ${quote(lib + script)} ${args.map(quote).join(' ')}`
  const c = spawn('sh', ['-c', cmd], { stdio: ['pipe', 'pipe', 'inherit'] })
  const waiting = []
  onLines(c, (line) => waiting.shift()?.(line))
  const next = () => new Promise((resolve) => waiting.push(resolve))
  return { c, next, send: (line) => c.stdin.write(line + '\n') }
}

async function measure (variant) {
  const server = child('conn-memory-server.mjs', [variant])
  const { port } = JSON.parse(await server.next())
  server.send('mem')
  const before = JSON.parse(await server.next())
  const client = child('conn-memory-client.mjs', [port, CONNECTIONS])
  const connected = await client.next()
  if (connected !== 'connected') throw new Error(`${variant}: ${connected}`)
  // the client is connected once the kernel completed the handshakes; the server accepts them
  // a little later: ask until it holds them all (bounded)
  let idle
  for (let i = 0; ; i++) {
    server.send('mem')
    idle = JSON.parse(await server.next())
    if (idle.connections === CONNECTIONS || i === 200) break
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  client.send('echo')
  const echoed = await client.next()
  if (echoed !== 'echoed') throw new Error(`${variant}: ${echoed}`)
  server.send('mem')
  const after = JSON.parse(await server.next())
  client.c.stdin.end()
  await exited(client.c)
  server.c.stdin.end()
  await exited(server.c)
  if (idle.connections !== CONNECTIONS) throw new Error(`${variant}: ${idle.connections} connections held, not ${CONNECTIONS}`)
  return {
    variant,
    idle: (idle.rss - before.rss) / CONNECTIONS,
    echoed: (after.rss - before.rss) / CONNECTIONS,
    heap: (after.heapUsed - before.heapUsed) / CONNECTIONS,
  }
}

console.log(`## conn-memory: RSS per connection at ${fmt(CONNECTIONS)} connections\n`)
console.log(header('conn-memory') + '\n')
const samples = []
for (let round = 0; round < ROUNDS; round++) {
  for (const variant of rotate(['raw', 'wireline'], round)) samples.push({ round, ...await measure(variant) })
}
const of = (variant, k) => median(samples.filter((s) => s.variant === variant).map((s) => s[k]))
const paired = (k) => median([...Array(ROUNDS).keys()].map((r) => ratio(
  samples.find((s) => s.round === r && s.variant === 'wireline')[k],
  samples.find((s) => s.round === r && s.variant === 'raw')[k])))
const kib = (x) => `${fmt(x / 1024, 2)} KiB`
console.log(table(
  ['connections', 'raw net: RSS/conn idle', 'raw net: after echo', 'wireline: RSS/conn idle', 'wireline: after echo', 'ratio idle', 'ratio after echo', 'heap/conn raw → wireline'],
  [[fmt(CONNECTIONS), kib(of('raw', 'idle')), kib(of('raw', 'echoed')), kib(of('wireline', 'idle')), kib(of('wireline', 'echoed')),
    fmtRatio(paired('idle')), fmtRatio(paired('echoed')), `${kib(of('raw', 'heap'))} → ${kib(of('wireline', 'heap'))}`]],
))
console.log(`\n${ROUNDS} round(s), medians; ratio = wireline / raw within each round. Target: ratio after echo <= 1.10.`)
console.log(`raw results: ${saveResults('conn-memory', samples)}`)
