// Redis: pipelined SET/GET through the wireline example client (packages/examples/src/redis,
// a RESP2 client on a stream Protocol) against ioredis, the client Node users pick, in the
// same run, against one redis-server.
//
//   node bench/suites/redis.mjs [--quick] [--rounds=N] [--duration=MS] [--rows=100x16,1000x16,1000x1024]
//
// redis-server (Debian's, on a free port, nothing saved) is pinned to CPU 1; each client run
// is a fresh process pinned to CPU 0 (lib/redis-client-run.mjs) that runs batches of `depth`
// pipelined commands (half SET, half GET, values of the row's size) for a warm-up and then a
// measured window. Each round runs every variant once per row, the order rotating. Reported:
// operations per second and the client's own CPU time per operation; × is wireline ÷ ioredis
// (pipeline), the median of the per-round ratios. Needs the examples built and redis-server.
import { existsSync } from 'node:fs'
import net from 'node:net'
import {
  benchDir, canPin, exited, fmt, fmtRatio, header, onLines, options, rotate, roundStats, saveResults, spawnPinned, table,
} from '../lib/common.mjs'

const opt = options()
const quick = opt.quick === true
const rounds = Number(opt.rounds ?? 3)
const durationMs = Number(opt.duration ?? (quick ? 700 : 1500))
const warmupMs = quick ? 300 : 500
const rows = (typeof opt.rows === 'string' ? opt.rows : '100x16,1000x16,1000x1024').split(',').map((r) => r.split('x').map(Number))
const REDIS_SERVER = process.env.REDIS_SERVER ?? '/usr/bin/redis-server'

const VARIANTS = {
  'ioredis-pipeline': 'ioredis pipeline()',
  'ioredis-auto': 'ioredis autopipelining',
  wireline: 'wireline example',
}
const variantNames = Object.keys(VARIANTS)

console.log('## Redis: wireline example client vs ioredis, pipelined SET/GET\n')
if (!existsSync(REDIS_SERVER)) {
  console.log(`(skipped: ${REDIS_SERVER} is missing)\n`)
  process.exit(0)
}
console.log(header('redis'))

const port = await new Promise((resolve) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)) })
})
const redis = spawnPinned(1, REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
  { stdio: ['ignore', 'pipe', 'inherit'] })
await new Promise((resolve, reject) => {
  onLines(redis, (line) => { if (line.includes('Ready to accept connections')) resolve() })
  redis.once('exit', () => reject(new Error('redis-server exited early')))
})
const version = /v=(\S+)/.exec((await import('node:child_process')).spawnSync(REDIS_SERVER, ['--version'], { encoding: 'utf8' }).stdout)?.[1]
console.log(`redis-server ${version ?? '?'}${canPin() ? ', pinned to CPU 1; each client process pinned to CPU 0' : ', not pinned'}; ` +
  `${rounds} rounds; ${warmupMs} ms warm-up then ${durationMs} ms measured per client run\n`)

async function measure (variant, depth, size) {
  const child = spawnPinned(0, process.execPath, [benchDir + 'lib/redis-client-run.mjs', variant, String(port), String(depth),
    String(size), String(warmupMs), String(durationMs)], { stdio: ['ignore', 'pipe', 'inherit'] })
  let result = null
  onLines(child, (line) => { if (line.startsWith('RESULT ')) result = JSON.parse(line.slice(7)) })
  const timer = setTimeout(() => child.kill('SIGKILL'), warmupMs + durationMs + 20_000)
  const [code] = await exited(child)
  clearTimeout(timer)
  if (code !== 0 || result === null) return { failed: true }
  return { opsPerSec: result.ops / result.seconds, cpuPerOp: result.cpu_us / result.ops, cpuShare: result.cpu_us / 1e6 / result.seconds }
}

const started = Date.now()
const samples = []
try {
  for (let round = 0; round < rounds; round++) {
    for (const [depth, size] of rows) {
      for (const v of rotate(variantNames, round)) {
        const s = await measure(v, depth, size)
        samples.push({ ...s, variant: v, depth, size, round })
        if (s.failed) console.log(`(round ${round + 1}: ${v} ${depth}x${size} failed)`)
      }
    }
    process.stderr.write(`redis: round ${round + 1}/${rounds} done (${((Date.now() - started) / 1000).toFixed(0)} s)\n`)
  }
} finally {
  redis.kill('SIGTERM')
  await exited(redis)
}

const stats = roundStats(samples, ['opsPerSec', 'cpuPerOp', 'cpuShare'], (s) => `${s.depth}x${s.size}`)
const out = rows.map(([depth, size]) => {
  const key = `${depth}x${size}`
  const cells = [String(depth), `${size} B`]
  for (const v of variantNames) cells.push(fmt(stats.med(v, key).opsPerSec))
  const x = stats.paired('wireline', 'ioredis-pipeline', key)
  const xa = stats.paired('wireline', 'ioredis-auto', key)
  cells.push(fmtRatio(x.opsPerSec), fmtRatio(xa.opsPerSec))
  for (const v of variantNames) cells.push(fmt(stats.med(v, key).cpuPerOp, 2))
  cells.push(fmtRatio(x.cpuPerOp))
  return cells
})
console.log(table(['depth', 'value', ...variantNames.map((v) => `ops/s ${VARIANTS[v]}`), '× vs pipeline()', '× vs auto',
  ...variantNames.map((v) => `client CPU µs/op ${VARIANTS[v]}`), 'CPU × vs pipeline()'], out))
console.log('\nops: commands (half SET, half GET); a batch of `depth` is pipelined and awaited whole. Values are medians ' +
  'over the rounds; × is wireline ÷ ioredis, the median of the per-round ratios. Client CPU: the client process\'s own ' +
  'process.cpuUsage() over the measured window ÷ the operations.')
const path = saveResults('redis', { rounds, durationMs, rows, samples })
console.log(`\n(${((Date.now() - started) / 1000).toFixed(0)} s; raw samples in ${path.slice(benchDir.length - 6)})\n`)
