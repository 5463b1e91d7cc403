// The measuring loop the echo suites share (tcp-echo, tls-echo): server processes that report
// their own CPU time, and one round of one row under the turn-taking load generator
// (loadgen/tcp-echo-client.c, or its Node fallback lib/echo-client.mjs).
import { exited, fmt, fmtRatio, fmtSize, onLines, spawnPinned, table } from './common.mjs'

/**
 * Starts one echo server (`lib/echo-server.mjs` or an anchor) pinned to CPU 0; resolves to
 * `{ child, port, mark(), report() }` once it printed its port.
 */
export async function startEchoServer (name, cmd, args, cpu = 0) {
  const child = spawnPinned(cpu, cmd, args, { stdio: ['pipe', 'pipe', 'inherit'] })
  let onReport = () => {}
  const port = await new Promise((resolve, reject) => {
    onLines(child, (line) => {
      if (line.startsWith('PORT ')) resolve(Number(line.slice(5)))
      else if (line.startsWith('REPORT ')) onReport(JSON.parse(line.slice(7)))
    })
    child.once('exit', () => reject(new Error(`the ${name} server exited early`)))
  })
  return {
    child,
    port,
    mark: () => child.stdin.write('mark\n'),
    report: () => new Promise((resolve) => {
      onReport = resolve
      child.stdin.write('report\n')
      child.once('exit', () => resolve(null))
    }),
  }
}

let socketCount = 0

/**
 * One round of one row: a fresh server process per variant of `order`, all alive at once, and
 * one generator pinned to CPU 1 that gives them turns of `sliceMs` (see
 * loadgen/tcp-echo-client.c), in `order`. Returns one sample per variant (`failed: true` when
 * that server or the generator failed).
 *
 * @param {object} o
 * @param {string[]} o.order variant names, the first goes first
 * @param {(variant: string, path?: string) => [cmd: string, args: string[], cpu?: number | null]} o.server how to
 *   start a variant's server (on the Unix socket `path` when `o.unixDir` is given); `cpu`: the CPU it is pinned to
 *   (default 0; null: not pinned, for servers of several processes)
 * @param {{ cmd: string, args: string[] }} o.client the generator (`args` come before the positional ones)
 * @param {number} [o.depth] requests in flight per connection (default 1: ping-pong; more: a bulk echo)
 * @param {string} [o.unixDir] a directory for the servers' Unix sockets: the echo runs on Unix sockets, not TCP
 */
export async function measureEchoRound ({ order, server, client, size, conns, depth = 1, unixDir, warmupMs, durationMs, sliceMs }) {
  const servers = []
  const targets = []
  for (const [i, variant] of order.entries()) {
    // a fresh path each time: a server killed at the end of a round may leave its socket file
    const path = unixDir === undefined ? undefined : `${unixDir}/${++socketCount}.sock`
    const [cmd, args, cpu = 0] = server(variant, path)
    const s = await startEchoServer(variant, cmd, args, cpu)
    servers.push(s)
    targets.push(path ?? String(s.port))
  }
  const gen = spawnPinned(1, client.cmd, [...client.args, ...(depth > 1 ? [`--depth=${depth}`] : []),
    unixDir === undefined ? '127.0.0.1' : 'unix', String(size), String(conns), String(warmupMs),
    String(durationMs * order.length), String(sliceMs), ...targets],
  { stdio: ['ignore', 'pipe', 'inherit'] })
  const results = []
  let end = null
  onLines(gen, (line) => {
    if (line === 'START') for (const s of servers) s.mark()
    else if (line.startsWith('RESULT ')) {
      const rest = line.slice(7)
      const sp = rest.indexOf(' ')
      results[Number(rest.slice(0, sp))] = JSON.parse(rest.slice(sp + 1))
    } else if (line.startsWith('END ')) end = JSON.parse(line.slice(4))
  })
  const timer = setTimeout(() => {
    gen.kill('SIGKILL')
    for (const s of servers) s.child.kill('SIGKILL')
  }, warmupMs + durationMs * order.length + 20_000)
  const [code] = await exited(gen)
  const reports = end === null ? [] : await Promise.all(servers.map((s) => s.report()))
  for (const s of servers) s.child.stdin.end()
  await Promise.all(servers.map((s) => exited(s.child)))
  clearTimeout(timer)
  return order.map((variant, i) => {
    const result = results[i]
    const report = reports[i]
    if (code !== 0 || end === null || result == null || report == null) return { variant, size, conns, depth, failed: true }
    return {
      variant,
      size,
      conns,
      depth,
      reqs: result.requests / result.seconds,
      mibs: result.bytes / result.seconds / (1 << 20),
      p50: result.p50_us,
      p99: result.p99_us,
      cpuPerReq: report.cpu_us / Math.max(1, result.requests),
      serverCpuShare: report.cpu_us / 1e6 / result.seconds,
      rssMiB: report.max_rss_kib / 1024,
      genShare: result.cpu_s / result.seconds,
    }
  })
}

/** The metrics of a sample of `measureEchoRound`, for `roundStats`. */
export const ECHO_METRICS = ['reqs', 'mibs', 'p99', 'cpuPerReq', 'rssMiB', 'serverCpuShare', 'genShare']

/** A row's key in `roundStats`: `SIZExCONNS`, and `xDEPTH` for a bulk row (depth > 1). */
export const echoRowKey = (size, conns, depth = 1) => (depth > 1 ? `${size}x${conns}x${depth}` : `${size}x${conns}`)

/** The key of a sample of `measureEchoRound`. */
export const echoSampleKey = (s) => echoRowKey(s.size, s.conns, s.depth)

/** A row's `conns` cell: the count, and the requests in flight on each for a bulk row. */
const connsCell = (conns, depth = 1) => (depth > 1 ? `${conns} (bulk: ${depth} in flight)` : String(conns))

/** Parses `--rows=1024x10,65536x1x16` (SIZExCONNS[xDEPTH]). */
export const parseRows = (spec) => spec.split(',').map((r) => r.split('x').map(Number))

/**
 * Prints an echo suite's tables: `main` against `base` row by row with the floor verdict
 * (req/s × >= 0.95 and CPU/req × <= 1.05), every other variant's ratios when there are more,
 * and the conditions (server and generator CPU shares, req/s by round). `stats` comes from
 * `roundStats(samples, ECHO_METRICS, echoSampleKey)`; `short` names the base in column titles
 * (`net`, `tls`); `anchors`: the variants that are not wireline or raw Node (asyncio, uvloop,
 * Bun), compared with each wireline variant in a table of their own. Rows are
 * `[size, conns, depth?]`. Returns `{ met, misses }`.
 */
export function printEchoTables ({ rows, variants, labelOf, base, main, stats, short, anchors = [] }) {
  const key = echoRowKey
  let met = 0
  const misses = []
  const mainRows = []
  for (const [size, conns, depth] of rows) {
    const n = stats.med(base, key(size, conns, depth))
    const w = stats.med(main, key(size, conns, depth))
    const x = stats.paired(main, base, key(size, conns, depth))
    const ok = x.reqs >= 0.95 && x.cpuPerReq <= 1.05
    if (ok) met++
    else misses.push(`${fmtSize(size)} × ${connsCell(conns, depth)}`)
    mainRows.push([
      fmtSize(size), connsCell(conns, depth),
      fmt(n.reqs), fmt(w.reqs), fmtRatio(x.reqs),
      fmt(n.mibs, 1), fmt(w.mibs, 1), fmtRatio(x.mibs),
      fmt(n.p99), fmt(w.p99), fmtRatio(x.p99),
      fmt(n.cpuPerReq, 1), fmt(w.cpuPerReq, 1), fmtRatio(x.cpuPerReq),
      fmt(n.rssMiB, 0), fmt(w.rssMiB, 0), fmtRatio(x.rssMiB),
      ok ? 'yes' : '**no**',
    ])
  }
  const wl = labelOf(main)
  const raw = labelOf(base)
  console.log(`### ${wl} against ${raw}\n`)
  console.log(`Values are medians over the rounds; × is ${wl} ÷ ${raw}, the median of the ratios within each round.\n`)
  console.log(table(
    ['message', 'conns', `req/s ${short}`, 'req/s wl', '×', `MiB/s ${short}`, 'MiB/s wl', '×',
      `p99 µs ${short}`, 'p99 µs wl', '×', `CPU µs/req ${short}`, 'CPU µs/req wl', '×',
      `peak RSS MiB ${short}`, 'peak RSS MiB wl', '×', 'floor'],
    mainRows,
  ))
  console.log(`\nfloor (req/s × >= 0.95 and CPU/req × <= 1.05): met on ${met}/${rows.length} rows` +
    (misses.length ? `; missed on ${misses.join(', ')}` : ''))
  console.log('MiB/s counts the echoed payload one way. CPU µs/req: the server\'s own process.cpuUsage() over the ' +
    'measured window ÷ the requests the generator completed on it; peak RSS: its maxRSS.')

  const others = variants.filter((v) => v !== base)
  // wireline's own variants: not the anchors, nor raw net's (its workers, the net-again control)
  const wirelines = others.filter((v) => !anchors.includes(v) && !v.startsWith('net'))
  if (others.length > 1) {
    console.log(`\n### every variant against ${raw} (× = variant ÷ ${raw}, median of the per-round ratios)\n`)
    const head = ['message', 'conns']
    for (const v of others) head.push(`${labelOf(v)}: req/s ×`, 'CPU/req ×', 'p99 ×')
    const rs = rows.map(([size, conns, depth]) => {
      const cells = [fmtSize(size), connsCell(conns, depth)]
      for (const v of others) {
        const x = stats.paired(v, base, key(size, conns, depth))
        cells.push(fmtRatio(x.reqs), fmtRatio(x.cpuPerReq), fmtRatio(x.p99))
      }
      return cells
    })
    console.log(table(head, rs))
    console.log(`\nfloor for every wireline variant (req/s × >= 0.95 and CPU/req × <= 1.05): ` + wirelines
      .map((v) => {
        const miss = rows.filter(([size, conns, depth]) => {
          const x = stats.paired(v, base, key(size, conns, depth))
          return !(x.reqs >= 0.95 && x.cpuPerReq <= 1.05)
        })
        return `${labelOf(v)} ${rows.length - miss.length}/${rows.length}` +
          (miss.length ? ` (missed on ${miss.map(([s, c, d]) => `${fmtSize(s)} × ${connsCell(c, d)}`).join(', ')})` : '')
      }).join('; '))
  }

  const present = anchors.filter((a) => variants.includes(a))
  if (present.length > 0) {
    console.log(`\n### wireline against the best anchor (${present.map(labelOf).join(', ')})\n`)
    console.log('Each cell: req/s × raw Node of the variant; ahead: wireline\'s × over the best anchor\'s × in the row.\n')
    const head = ['message', 'conns', 'best anchor', 'its req/s ×', ...wirelines.flatMap((v) => [`${labelOf(v)} req/s ×`, 'ahead'])]
    console.log(table(head, rows.map(([size, conns, depth]) => {
      const k = key(size, conns, depth)
      const best = present.map((a) => [a, stats.paired(a, base, k).reqs]).sort((a, b) => (b[1] || 0) - (a[1] || 0))[0]
      return [fmtSize(size), connsCell(conns, depth), labelOf(best[0]), fmtRatio(best[1]), ...wirelines.flatMap((v) => {
        const r = stats.paired(v, base, k).reqs
        return [fmtRatio(r), r >= best[1] ? `yes (${fmtRatio(r / best[1])})` : `no (${fmtRatio(r / best[1])})`]
      })]
    })))
  }

  console.log('\n### conditions: who was busy, and the spread between rounds\n')
  console.log('server CPU: the server\'s CPU time ÷ the time it had connections active; gen CPU: the load generator\'s, ' +
    'over the same turns. When neither is near 100 %, ping-pong is bound by the round trip (wake-ups across CPUs), ' +
    'where a server that needs less CPU per request still answers sooner.\n')
  console.log(table(
    ['message', 'conns', ...variants.flatMap((v) => [`${labelOf(v)}: server CPU`, 'gen CPU', 'req/s by round (k)'])],
    rows.map(([size, conns, depth]) => [fmtSize(size), connsCell(conns, depth), ...variants.flatMap((v) => {
      const m = stats.med(v, key(size, conns, depth))
      return [`${fmt(100 * m.serverCpuShare)} %`, `${fmt(100 * m.genShare)} %`,
        m.all('reqs').map((x) => (x / 1000).toFixed(1)).join(' / ')]
    })]),
  ))
  return { met, misses }
}
