// The measuring loop the echo suites share (tcp-echo, tls-echo): server processes that report
// their own CPU time, and one round of one row under the turn-taking load generator
// (loadgen/tcp-echo-client.c, or its Node fallback lib/echo-client.mjs).
import { exited, onLines, spawnPinned } from './common.mjs'

/**
 * Starts one echo server (`lib/echo-server.mjs` or an anchor) pinned to CPU 0; resolves to
 * `{ child, port, mark(), report() }` once it printed its port.
 */
export async function startEchoServer (name, cmd, args) {
  const child = spawnPinned(0, cmd, args, { stdio: ['pipe', 'pipe', 'inherit'] })
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

/**
 * One round of one row: a fresh server process per variant of `order`, all alive at once, and
 * one generator pinned to CPU 1 that gives them turns of `sliceMs` (see
 * loadgen/tcp-echo-client.c), in `order`. Returns one sample per variant (`failed: true` when
 * that server or the generator failed).
 *
 * @param {object} o
 * @param {string[]} o.order variant names, the first goes first
 * @param {(variant: string) => [cmd: string, args: string[]]} o.server how to start a variant's server
 * @param {{ cmd: string, args: string[] }} o.client the generator (`args` come before the positional ones)
 */
export async function measureEchoRound ({ order, server, client, size, conns, warmupMs, durationMs, sliceMs }) {
  const servers = []
  for (const variant of order) servers.push(await startEchoServer(variant, ...server(variant)))
  const gen = spawnPinned(1, client.cmd, [...client.args, '127.0.0.1', String(size), String(conns), String(warmupMs),
    String(durationMs * order.length), String(sliceMs), ...servers.map((s) => String(s.port))],
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
    if (code !== 0 || end === null || result == null || report == null) return { variant, size, conns, failed: true }
    return {
      variant,
      size,
      conns,
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
