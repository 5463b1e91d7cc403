// The suite driver the plain echo suites share (tcp-echo, unix-echo, multicore): the server
// variants and anchors, the load generator, the interleaved rounds and the tables.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { benchDir, buildC, canPin, fmtSize, header, rotate, roundStats, saveResults } from './common.mjs'
import { ECHO_METRICS, echoSampleKey, measureEchoRound, printEchoTables } from './echo-run.mjs'

const echoServer = benchDir + 'lib/echo-server.mjs'

/**
 * The server variants: `args` start it (the suite adds `--unix=PATH` on Unix sockets);
 * `cpu: null` leaves a server of several processes unpinned (its workers spread over the CPUs).
 */
export function echoVariants () {
  const node = (variant, ...more) => ({ cmd: process.execPath, args: [echoServer, variant, ...more] })
  return {
    net: { label: 'raw net', ...node('net') },
    // the control: a second raw net server, whose ratio to the first is the method's own noise
    'net-again': { label: 'raw net, again (control)', ...node('net') },
    wireline: { label: 'wireline', ...node('wireline') },
    'wireline-data': { label: "wireline, 'data' fallback", ...node('wireline-data') },
    'wireline-buffered': { label: 'wireline BufferedProtocol', ...node('wireline-buffered') },
    'wireline-subscribed': { label: 'wireline, diagnostics subscriber', ...node('wireline', '--subscribe') },
    'net-cluster2': { label: 'raw net, 2 cluster workers', cpu: null, ...node('net', '--procs=2') },
    'wireline-1proc': { label: 'wireline, 1 process (unpinned)', cpu: null, ...node('wireline') },
    'wireline-cluster2': { label: 'wireline, 2 cluster workers', cpu: null, ...node('wireline', '--procs=2') },
    'wireline-reuseport2': {
      label: 'wireline, 2 processes with reusePort', cpu: null, ...node('wireline', '--procs=2', '--reuse-port'),
    },
    asyncio: { label: 'asyncio', anchor: true, cmd: null, args: [benchDir + 'lib/echo_server.py', 'asyncio'] },
    uvloop: { label: 'uvloop', anchor: true, cmd: null, args: [benchDir + 'lib/echo_server.py', 'uvloop'] },
    bun: { label: 'Bun.listen', anchor: true, cmd: null, args: [benchDir + 'lib/echo-server-bun.mjs'] },
  }
}

/** The first Python that runs `code`: $PYTHON, else python3.13 (asyncio's reference version), else python3. */
function findPython (code) {
  for (const py of [process.env.PYTHON, 'python3.13', 'python3']) {
    if (py && spawnSync(py, ['-c', code]).status === 0) return py
  }
  return null
}

/** `$BUN`, else `bun` on the PATH (the `bun` npm package installs one), or null. */
function findBun () {
  for (const bun of [process.env.BUN, 'bun']) {
    if (bun && spawnSync(bun, ['--version']).status === 0) return bun
  }
  return null
}

/**
 * Fills in the anchors' commands and labels (asyncio and uvloop through Python, Bun through
 * its binary) and returns the names of those found, with a line for each that is not.
 */
export function findAnchors (variants) {
  const found = []
  const missing = []
  for (const [name, code] of [['asyncio', 'import asyncio'], ['uvloop', 'import uvloop']]) {
    const py = findPython(code)
    if (py === null) {
      missing.push(`${name}: not importable ($PYTHON, python3.13, python3)`)
      continue
    }
    const version = spawnSync(py, ['--version'], { encoding: 'utf8' }).stdout.trim().replace('Python ', '')
    variants[name].cmd = py
    variants[name].label += ` (CPython ${version})`
    found.push(name)
  }
  const bun = findBun()
  if (bun === null) missing.push('Bun: no `bun` ($BUN, or on the PATH)')
  else {
    variants.bun.cmd = bun
    variants.bun.label += ` (Bun ${spawnSync(bun, ['--version'], { encoding: 'utf8' }).stdout.trim()})`
    found.push('bun')
  }
  return { found, missing }
}

/** The C generator, or the Node one without a C compiler (or with --node-client). */
export function echoClient (opt) {
  const c = opt['node-client'] === true ? null : buildC('tcp-echo-client')
  if (c !== null) return { cmd: c, args: [], label: 'C (cc -O2)' }
  return {
    cmd: process.execPath,
    args: [benchDir + 'lib/echo-client.mjs'],
    label: `Node (${opt['node-client'] === true ? '--node-client' : 'no C compiler found'}: it may be the bottleneck, see gen CPU)`,
  }
}

/**
 * Runs an echo suite: `rounds` rounds of every row (`[size, conns, depth?]`), the variants
 * interleaved within each round (a fresh process each, the order rotated per round), then
 * prints the tables against `base` and saves the raw samples.
 */
export async function runEchoSuite ({
  name, title, intro, rows, variantNames, variants, client, unix = false, rounds, warmupMs, durationMs, sliceMs,
  base = 'net', main = 'wireline', notes = [],
}) {
  const unixDir = unix ? mkdtempSync(join(tmpdir(), `wireline-${name}-`)) : undefined
  if (unixDir !== undefined) process.on('exit', () => rmSync(unixDir, { recursive: true, force: true }))
  const server = (v, path) => {
    const { cmd, args, cpu = 0 } = variants[v]
    return [cmd, path === undefined ? args : [...args, `--unix=${path}`], cpu]
  }
  console.log(`## ${title}\n`)
  console.log(header(name))
  console.log(`load generator: ${client.label}; ${canPin() ? 'server pinned to CPU 0 (unless said otherwise), generator to CPU 1 (taskset)' : 'not pinned (no taskset or < 2 CPUs)'}; ` +
    `ping-pong (one request in flight per connection; a bulk row keeps several in flight); ${rounds} rounds per row, fresh server processes each round; ` +
    `the variants take turns of ${sliceMs} ms (${warmupMs} ms warmup in all, then ${durationMs} ms measured per variant)`)
  if (intro) console.log(intro)
  for (const n of notes) console.log(n)
  console.log('')

  const started = Date.now()
  const samples = []
  for (let round = 0; round < rounds; round++) {
    for (const [size, conns, depth = 1] of rows) {
      const order = rotate(variantNames, round)
      const one = { order, server, client, size, conns, depth, unixDir, warmupMs, durationMs, sliceMs }
      for (const s of await measureEchoRound(one)) {
        s.round = round
        samples.push(s)
        if (s.failed) console.log(`(round ${round + 1}: ${s.variant} ${fmtSize(size)} × ${conns} failed)`)
      }
    }
    process.stderr.write(`${name}: round ${round + 1}/${rounds} done (${((Date.now() - started) / 1000).toFixed(0)} s)\n`)
  }

  const stats = roundStats(samples, ECHO_METRICS, echoSampleKey)
  const anchors = variantNames.filter((v) => variants[v].anchor)
  if (!variantNames.includes(base)) throw new Error(`the base of the ratios, ${base}, is not among the variants`)
  const result = printEchoTables({
    rows, variants: variantNames, labelOf: (v) => variants[v].label, base, main, stats, short: base, anchors,
  })
  const path = saveResults(name, { rounds, warmupMs, durationMs, rows, variants: variantNames, client: client.label, samples })
  console.log(`\n(${((Date.now() - started) / 1000).toFixed(0)} s; raw samples in ${path.slice(benchDir.length - 6)})\n`)
  if (samples.some((s) => s.failed)) process.exitCode = 1
  return { stats, samples, ...result }
}
