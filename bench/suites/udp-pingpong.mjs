// UDP ping-pong: a wireline echo endpoint against the canonical raw node:dgram echo, in the
// same run. `node bench/suites/udp-pingpong.mjs [--quick] [--rounds=N] [--cells=1024x10,...]` (the
// built packages: `pnpm bench` builds first). A cell is SIZExENDPOINTS.
//
// Per cell (64 B or 1 KiB datagrams, 1 or 10 endpoints) one raw and one wireline echo server
// run in their own processes, both pinned to CPU 0; a ping-pong load generator pinned to CPU 1
// opens one socket per endpoint and keeps one datagram in flight on each (the C generator in
// udp-loadgen.c, compiled on the fly; a Node one if no C compiler is found). Many short
// windows follow, the two variants alternating (the order flips every round), after one
// discarded warm-up window each; the table gives medians over the rounds and the median of
// the per-round ratios wireline / raw, with their range.
//
// Reported per cell: echoes per second, p99 round-trip latency, the server's CPU time per
// datagram (from its own process.cpuUsage() over the measured window, divided by the datagrams
// it echoed in that window), and the CPU share of the server and of the load generator (a
// generator near 100 % would be the bottleneck).
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, statSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const self = fileURLToPath(import.meta.url)
const args = process.argv.slice(2)
const role = args[0]

// ------------------------------------------------------------------ server role

async function serve (variant, endpoints) {
  let count = 0
  const ports = []
  const closers = []
  if (variant === 'raw') {
    const dgram = await import('node:dgram')
    for (let i = 0; i < endpoints; i++) {
      // The canonical node:dgram echo.
      const socket = dgram.createSocket('udp4')
      socket.on('error', () => {})
      socket.on('message', (msg, rinfo) => {
        count++
        socket.send(msg, rinfo.port, rinfo.address)
      })
      await new Promise((resolve) => socket.bind(0, '127.0.0.1', resolve))
      ports.push(socket.address().port)
      closers.push(() => socket.close())
    }
  } else {
    const { createDatagramEndpoint } = await import('@wireline/datagram')
    class Echo {
      connectionMade (transport) { this.transport = transport }
      datagramReceived (data, addr) {
        count++
        this.transport.sendto(data, addr)
      }
    }
    for (let i = 0; i < endpoints; i++) {
      const [transport] = await createDatagramEndpoint(() => new Echo(), { localAddr: ['127.0.0.1', 0] })
      ports.push(transport.getExtraInfo('sockname')[1])
      closers.push(() => transport.close())
    }
  }
  process.stdout.write(JSON.stringify({ ports }) + '\n')
  // The parent brackets each measured window with 'start' and 'stop'; 'exit' ends the server.
  let cpu0 = null
  let count0 = 0
  let t0 = 0n
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'start') {
      cpu0 = process.cpuUsage()
      count0 = count
      t0 = process.hrtime.bigint()
    } else if (line === 'stop') {
      const cpu = process.cpuUsage(cpu0 ?? undefined)
      const wallUs = Number(process.hrtime.bigint() - t0) / 1000
      process.stdout.write(JSON.stringify({ cpuUs: cpu.user + cpu.system, count: count - count0, wallUs }) + '\n')
    } else if (line === 'exit') {
      break
    }
  }
  for (const close of closers) close()
  process.exit(0)
}

// ------------------------------------------------------------------ Node load generator (fallback)

async function loadgen (size, warmMs, durMs, ports) {
  const dgram = await import('node:dgram')
  const payload = Buffer.alloc(size, 'x')
  const lat = []
  let measuring = false
  let count = 0
  const sockets = []
  for (const port of ports) {
    const s = dgram.createSocket('udp4')
    s.on('error', () => {})
    await new Promise((resolve) => s.connect(port, '127.0.0.1', resolve))
    let sentAt = process.hrtime.bigint()
    s.on('message', () => {
      const now = process.hrtime.bigint()
      if (measuring) {
        lat.push(Number(now - sentAt) / 1000)
        count++
      }
      sentAt = now
      s.send(payload)
    })
    sockets.push(s)
    s.send(payload)
  }
  await new Promise((resolve) => setTimeout(resolve, warmMs))
  measuring = true
  const cpu0 = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  process.stdout.write('go\n')
  await new Promise((resolve) => setTimeout(resolve, durMs))
  measuring = false
  const cpu = process.cpuUsage(cpu0)
  const wallUs = Number(process.hrtime.bigint() - t0) / 1000
  lat.sort((a, b) => a - b)
  const pct = (p) => Math.round(lat[Math.min(lat.length - 1, Math.floor(lat.length * p))] ?? 0)
  process.stdout.write(JSON.stringify({
    count, wall_us: Math.round(wallUs), cpu_us: cpu.user + cpu.system, p50_us: pct(0.5), p99_us: pct(0.99), lost: 0,
  }) + '\n')
  for (const s of sockets) s.close()
}

// ------------------------------------------------------------------ the parent

function hasTaskset () {
  return spawnSync('taskset', ['-c', '0', 'true']).status === 0 && cpus().length >= 2
}

/** Compiles udp-loadgen.c into the temp dir (once per source change); null when that fails. */
function cLoadgen () {
  const src = fileURLToPath(new URL('./udp-loadgen.c', import.meta.url))
  const dir = join(tmpdir(), 'wireline-bench')
  const bin = join(dir, 'udp-loadgen')
  try {
    if (existsSync(bin) && statSync(bin).mtimeMs >= statSync(src).mtimeMs) return bin
    mkdirSync(dir, { recursive: true })
    for (const cc of [process.env.CC, 'cc', 'gcc', 'clang'].filter(Boolean)) {
      try {
        execFileSync(cc, ['-O2', '-o', bin, src], { stdio: 'ignore' })
        return bin
      } catch {}
    }
  } catch {}
  return null
}

function pinned (cpu, command, argv, taskset) {
  return taskset ? ['taskset', ['-c', String(cpu), command, ...argv]] : [command, argv]
}

function lines (child) {
  const rl = createInterface({ input: child.stdout })
  const queue = []
  const waiters = []
  rl.on('line', (l) => { const w = waiters.shift(); if (w) w(l); else queue.push(l) })
  child.on('exit', () => { for (const w of waiters.splice(0)) w(null) })
  return () => queue.length > 0 ? Promise.resolve(queue.shift()) : new Promise((resolve) => waiters.push(resolve))
}

/** A long-lived echo server process (one per variant and cell), pinned to CPU 0. */
async function startServer (variant, endpoints, taskset) {
  const [cmd, argv] = pinned(0, process.execPath, [self, 'serve', variant, String(endpoints)], taskset)
  const child = spawn(cmd, argv, { stdio: ['pipe', 'pipe', 'inherit'] })
  const next = lines(child)
  const first = await next()
  if (first === null) throw new Error(`the ${variant} echo server did not start`)
  return { child, next, ports: JSON.parse(first).ports }
}

async function stopServer (server) {
  server.child.stdin.end('exit\n')
  await new Promise((resolve) => server.child.exitCode !== null ? resolve() : server.child.once('exit', resolve))
}

/** One measured window: the load generator against `server`, the server's CPU bracketed by start/stop. */
async function measure (server, { size, warmMs, durMs, taskset, gen }) {
  const genArgs = [String(size), String(warmMs), String(durMs), ...server.ports.map(String)]
  const [cmd, argv] = gen === null
    ? pinned(1, process.execPath, [self, 'loadgen', ...genArgs], taskset)
    : pinned(1, gen, genArgs, taskset)
  const client = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'inherit'] })
  const timer = setTimeout(() => client.kill('SIGKILL'), warmMs + durMs + 10_000)
  try {
    const next = lines(client)
    if (await next() !== 'go') throw new Error('the load generator did not start')
    server.child.stdin.write('start\n')
    const result = await next()
    server.child.stdin.write('stop\n')
    const serverResult = await server.next()
    if (result === null || serverResult === null) throw new Error('a process of the measurement died')
    const c = JSON.parse(result)
    const s = JSON.parse(serverResult)
    return {
      rate: c.count / (c.wall_us / 1e6),
      p99: c.p99_us,
      cpuPerDgram: s.count > 0 ? s.cpuUs / s.count : NaN,
      serverCpu: s.cpuUs / s.wallUs,
      genCpu: c.cpu_us / c.wall_us,
      lost: c.lost,
    }
  } finally {
    clearTimeout(timer)
    client.kill()
  }
}

const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  if (s.length === 0) return NaN
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2
}
const fmt = (x, d = 0) => Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : 'n/a'
const pct = (x) => Number.isFinite(x) ? `${Math.round(x * 100)} %` : 'n/a'

async function main () {
  const quick = args.includes('--quick')
  // Short windows, many of them, the two variants alternating against servers that stay up:
  // on a shared machine the background load drifts, and paired neighbours see the same drift.
  const roundsArg = args.find((a) => a.startsWith('--rounds='))
  // 40 windows: the ×10 cells' per-window ratios span 0.7-1.8 on these machines, and medians of
  // 20 came out 0.92-1.06 from run to run for two variants that need the same CPU per datagram.
  const rounds = roundsArg !== undefined ? Math.max(2, Number(roundsArg.slice(9))) : quick ? 6 : 40
  const warmMs = 100
  const durMs = quick ? 500 : 900
  const taskset = hasTaskset()
  const gen = cLoadgen()
  const cellsArg = args.find((a) => a.startsWith('--cells='))
  const cells = cellsArg !== undefined
    ? cellsArg.slice(8).split(',').map((c) => c.split('x').map(Number))
    : [[64, 1], [64, 10], [1024, 1], [1024, 10]]
  const variants = ['raw', 'wireline']
  const results = new Map()
  const started = Date.now()
  for (const [size, endpoints] of cells) {
    const servers = {}
    for (const v of variants) servers[v] = await startServer(v, endpoints, taskset)
    try {
      const opts = { size, warmMs, durMs, taskset, gen }
      for (const v of variants) await measure(servers[v], { ...opts, durMs: 500 }) // warm-up (JIT), discarded
      const rs = []
      for (let round = 0; round < rounds; round++) {
        const order = round % 2 === 0 ? variants : [...variants].reverse()
        const r = {}
        for (const v of order) r[v] = await measure(servers[v], opts)
        rs.push(r)
      }
      results.set(`${size}/${endpoints}`, rs)
    } finally {
      for (const v of variants) await stopServer(servers[v])
    }
    process.stderr.write(`udp-pingpong: ${size} B × ${endpoints} done (${Math.round((Date.now() - started) / 1000)} s)\n`)
  }

  console.log('## UDP ping-pong: wireline vs raw node:dgram\n')
  console.log(`\`node bench/suites/udp-pingpong.mjs${quick ? ' --quick' : ''}${roundsArg !== undefined ? ' ' + roundsArg : ''}${cellsArg !== undefined ? ' ' + cellsArg : ''}\` — per cell, ${rounds} rounds of ${durMs} ms windows, ` +
    `the variants alternating; medians; ratio = median of the per-round ratios wireline/raw (their range in brackets). Server ${taskset ? 'pinned to CPU 0' : 'not pinned'}, ` +
    `load generator (${gen === null ? 'Node, no C compiler found' : 'C'}) ${taskset ? 'pinned to CPU 1' : 'not pinned'}; ` +
    `one datagram in flight per endpoint.\n`)
  console.log('| size | endpoints | raw dgram/s | wireline dgram/s | ratio | raw p99 µs | wireline p99 µs | raw CPU µs/dgram | wireline CPU µs/dgram | CPU ratio | server CPU raw / wl | loadgen CPU |')
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
  for (const [size, endpoints] of cells) {
    const rs = results.get(`${size}/${endpoints}`)
    const col = (v, f) => median(rs.map((r) => f(r[v])))
    const ratios = (f) => rs.map((r) => f(r.wireline) / f(r.raw)).filter(Number.isFinite)
    const ratio = (f) => median(ratios(f))
    const range = (f) => `${fmt(Math.min(...ratios(f)), 2)}–${fmt(Math.max(...ratios(f)), 2)}`
    console.log(`| ${size === 1024 ? '1 KiB' : `${size} B`} | ${endpoints} ` +
      `| ${fmt(col('raw', (x) => x.rate))} | ${fmt(col('wireline', (x) => x.rate))} | ${fmt(ratio((x) => x.rate), 3)} (${range((x) => x.rate)}) ` +
      `| ${fmt(col('raw', (x) => x.p99))} | ${fmt(col('wireline', (x) => x.p99))} ` +
      `| ${fmt(col('raw', (x) => x.cpuPerDgram), 2)} | ${fmt(col('wireline', (x) => x.cpuPerDgram), 2)} | ${fmt(ratio((x) => x.cpuPerDgram), 3)} (${range((x) => x.cpuPerDgram)}) ` +
      `| ${pct(col('raw', (x) => x.serverCpu))} / ${pct(col('wireline', (x) => x.serverCpu))} ` +
      `| ${pct(median(rs.flatMap((r) => [r.raw.genCpu, r.wireline.genCpu])))} |`)
  }
  const lost = [...results.values()].flat().reduce((n, r) => n + r.raw.lost + r.wireline.lost, 0)
  console.log(`\nTarget: ratio >= 0.95 and CPU ratio <= 1.05. Lost datagrams (resent after 200 ms): ${lost}. ` +
    `Took ${Math.round((Date.now() - started) / 1000)} s.\n`)
}

if (role === 'serve') {
  await serve(args[1], Number(args[2]))
} else if (role === 'loadgen') {
  await loadgen(Number(args[1]), Number(args[2]), Number(args[3]), args.slice(4).map(Number))
} else {
  await main()
}
