// TLS echo: a wireline echo server over TLS (@wireline/stream createServer with
// `ssl: serverTls()` and the same echo Protocol as tcp-echo, which pauses reading between
// pauseWriting and resumeWriting) against the canonical raw `tls.createServer` echo ('data' →
// write(), pause() when write() returns false, resume() on 'drain'), in the same run, with the
// same floor as TCP: req/s × >= 0.95 and CPU per request × <= 1.05.
//
//   node bench/suites/tls-echo.mjs [--quick] [--rounds=N] [--duration=MS] [--warmup=MS]
//        [--slice=MS] [--rows=1024x10,65536x10] [--variants=net,wireline,wireline-buffered] (all three by default)
//        [--node-client] [--baseline=DIR]
//
// --baseline=DIR: the wireline TLS echo of another checkout (its bench/ folder, packages built)
// runs beside this one in the same rounds, to compare two builds.
//
// The method is tcp-echo's (lib/echo-run.mjs): each round of each row starts a fresh server
// process per variant, all pinned to CPU 0, and one ping-pong load generator pinned to CPU 1
// gives them turns of --slice ms until each had --duration ms measured; the tables show
// medians over the rounds and, for ratios, the median of the ratios within each round. The
// generator is the C one built with OpenSSL (`-DWITH_OPENSSL -lssl -lcrypto`, into
// bench/.build/tcp-echo-client-tls): every connection does a TLS handshake that verifies the
// test certificate against the test CA (written to a temp file for it), before the clock
// starts. Without a C compiler or OpenSSL's headers, the Node generator (lib/echo-client.mjs
// --tls) stands in; the output says which, and its CPU share shows whether it was the
// bottleneck. Both sides negotiate Node's and OpenSSL's defaults (TLS 1.3, AES-256-GCM here).
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { testCerts } from '@wireline/core/testing'
import {
  benchDir, buildC, canPin, fmtSize, header, options, rotate, roundStats, saveResults,
} from '../lib/common.mjs'
import { ECHO_METRICS, measureEchoRound, printEchoTables } from '../lib/echo-run.mjs'

const opt = options()
const quick = opt.quick === true
const rounds = Number(opt.rounds ?? (quick ? 2 : 7))
const warmupMs = Number(opt.warmup ?? (quick ? 400 : 600))
const durationMs = Number(opt.duration ?? (quick ? 500 : 1000)) // measured per variant
const sliceMs = Number(opt.slice ?? 100)
const rows = typeof opt.rows === 'string'
  ? opt.rows.split(',').map((r) => r.split('x').map(Number))
  : [[1024, 10], [64 * 1024, 10]]

const VARIANTS = {
  net: { label: 'raw tls', variant: 'net' },
  wireline: { label: 'wireline TLS', variant: 'wireline' },
  'wireline-buffered': { label: 'wireline TLS BufferedProtocol', variant: 'wireline-buffered' },
}
const variantNames = [...new Set(typeof opt.variants === 'string' ? opt.variants.split(',') : ['net', 'wireline', 'wireline-buffered'])]
if (typeof opt.baseline === 'string') {
  const dir = opt.baseline.replace(/\/?$/, '/')
  const rev = spawnSync('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout.trim()
  VARIANTS.baseline = { label: `wireline TLS at ${rev || dir}`, variant: 'wireline', dir }
  variantNames.push('baseline')
}
for (const v of variantNames) if (!(v in VARIANTS)) throw new Error(`unknown variant ${v} (TLS has ${Object.keys(VARIANTS).join(', ')})`)
const serverCommand = (v) => [process.execPath, [(VARIANTS[v].dir ?? benchDir) + 'lib/echo-server.mjs', VARIANTS[v].variant, '--tls']]

// The generator trusts the test CA, and checks the server certificate against 127.0.0.1.
const tmp = mkdtempSync(join(tmpdir(), 'wireline-tls-echo-'))
const caFile = join(tmp, 'ca.pem')
writeFileSync(caFile, testCerts.ca)
// The testing kit makes its certificates at run time, in each process: the servers take the
// ones this process made, so that they chain to the CA the generator trusts.
writeFileSync(join(tmp, 'cert.pem'), testCerts.server.cert)
writeFileSync(join(tmp, 'key.pem'), testCerts.server.key)
process.env.WIRELINE_BENCH_TLS_DIR = tmp
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }))

const cClient = opt['node-client'] === true
  ? null
  : buildC('tcp-echo-client', { out: 'tcp-echo-client-tls', cflags: ['-DWITH_OPENSSL'], libs: ['-lssl', '-lcrypto'], optional: true })
const client = cClient !== null
  ? { cmd: cClient, args: [`--tls=${caFile}`], label: 'C with OpenSSL (cc -O2 -DWITH_OPENSSL -lssl -lcrypto)' }
  : {
      cmd: process.execPath,
      args: [benchDir + 'lib/echo-client.mjs', `--tls=${caFile}`],
      label: `Node (${opt['node-client'] === true ? '--node-client' : 'no C compiler or no OpenSSL headers'}: ` +
        'it may be the bottleneck, see gen CPU)',
    }

console.log('## TLS echo: wireline over TLS vs raw `node:tls`\n')
console.log(header('tls-echo'))
console.log(`load generator: ${client.label}; ${canPin() ? 'server pinned to CPU 0, generator to CPU 1 (taskset)' : 'not pinned (no taskset or < 2 CPUs)'}; ` +
  `ping-pong over TLS (one request in flight per connection, handshakes before the clock starts); ${rounds} rounds per row, ` +
  `fresh server processes each round; the variants take turns of ${sliceMs} ms (${warmupMs} ms warmup in all, ` +
  `then ${durationMs} ms measured per variant)\n`)

const started = Date.now()
const samples = []
for (let round = 0; round < rounds; round++) {
  for (const [size, conns] of rows) {
    const order = rotate(variantNames, round)
    for (const s of await measureEchoRound({ order, server: serverCommand, client, size, conns, warmupMs, durationMs, sliceMs })) {
      s.round = round
      samples.push(s)
      if (s.failed) console.log(`(round ${round + 1}: ${s.variant} ${fmtSize(size)} × ${conns} failed)`)
    }
  }
  process.stderr.write(`tls-echo: round ${round + 1}/${rounds} done (${((Date.now() - started) / 1000).toFixed(0)} s)\n`)
}

const stats = roundStats(samples, ECHO_METRICS, (s) => `${s.size}x${s.conns}`)
const main = variantNames.includes('wireline') ? 'wireline' : variantNames.find((v) => v !== 'net')
printEchoTables({
  rows, variants: variantNames, labelOf: (v) => VARIANTS[v].label, base: 'net', main, stats, short: 'tls',
})
const path = saveResults('tls-echo', { rounds, warmupMs, durationMs, rows, variants: variantNames, client: client.label, samples })
console.log(`\n(${((Date.now() - started) / 1000).toFixed(0)} s; raw samples in ${path.slice(benchDir.length - 6)})\n`)
if (samples.some((s) => s.failed)) process.exitCode = 1
