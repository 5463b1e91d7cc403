// One echo server for bench/suites/tcp-echo.mjs and tls-echo.mjs, in a process of its own:
//
//   node bench/lib/echo-server.mjs <net | wireline | wireline-data | wireline-buffered | streams>
//        [--tls | --unix=PATH] [--procs=N [--reuse-port]] [--subscribe]
//
// `streams` is the echo of asyncio's high-level streams (@wireline/stream startServer):
// `reader.read(64 KiB)`, `writer.write()`, `await writer.drain()`, in a loop.
// With --tls the same echoes run over TLS (the test certificate of @wireline/core/testing):
// `net` becomes the canonical raw `tls.createServer` echo, the wireline ones pass
// `ssl: serverTls()` (wireline-data has no TLS form: TLS always reads through 'data').
// With --unix=PATH they listen on that Unix socket instead (and print `PORT 0`).
// With --procs=N the echo runs in N processes: N `node:cluster` workers on one port (the
// primary accepts and hands each connection to a worker, round-robin), or with --reuse-port
// N independent processes that each bind the same port with SO_REUSEPORT (the kernel spreads
// the connections; Node 22.12+/23.1+). The primary then sums the workers' CPU time and RSS.
// It listens on 127.0.0.1 (a free port), prints `PORT <n>`, and then answers the bench on
// stdin/stdout, one line each: `mark` starts the measured window, `report` ends it and prints
// `REPORT {"cpu_us": ..., "wall_ms": ..., "max_rss_kib": ...}` (the server's own
// process.cpuUsage() over the window, and its peak RSS since it started). Stdin's end exits.
import { fork } from 'node:child_process'
import cluster from 'node:cluster'
import diagnostics from 'node:diagnostics_channel'
import { readFileSync } from 'node:fs'
import net from 'node:net'
import { createInterface } from 'node:readline'
import tls from 'node:tls'
import * as bufferedFamily from '@wireline/buffered'
import { setAcceptedSocketFastPath } from '@wireline/core/machinery'
import { serverTls } from '@wireline/core/testing'
import * as streamFamily from '@wireline/stream'

const BACKLOG = 511 // Node's default for net.Server; wireline's is asyncio's 100
const useTls = process.argv.includes('--tls')
const unixPath = process.argv.find((a) => a.startsWith('--unix='))?.slice(7)
const procs = Number(process.argv.find((a) => a.startsWith('--procs='))?.slice(8) ?? 1)
const reusePort = process.argv.includes('--reuse-port')
/** Where the server listens: `[host, port]` for TCP, `[path]` for a Unix socket. */
const where = () => (unixPath !== undefined ? [unixPath] : ['127.0.0.1', Number(process.env.ECHO_PORT ?? 0)])
const extra = reusePort ? { reusePort: true } : {}
/**
 * The server's certificate and key: from $WIRELINE_BENCH_TLS_DIR (cert.pem, key.pem) where the
 * suite wrote the ones its generator trusts (the testing kit makes new ones in each process),
 * else the testing kit's.
 */
function benchTls () {
  const dir = process.env.WIRELINE_BENCH_TLS_DIR
  if (dir === undefined) return serverTls()
  return { cert: readFileSync(`${dir}/cert.pem`), key: readFileSync(`${dir}/key.pem`) }
}

/** wireline's `ssl` option: the test server certificate, or none. */
const ssl = useTls ? benchTls() : undefined

/**
 * The canonical raw `net` echo: 'data' → write(), pause() when write() says so, resume() on
 * 'drain'; over TLS the same on `tls.createServer`'s sockets.
 */
function netServer () {
  const onSocket = (socket) => {
    socket.on('data', (chunk) => {
      if (!socket.write(chunk)) socket.pause()
    })
    socket.on('drain', () => socket.resume())
    socket.on('error', () => {})
  }
  const server = useTls
    ? tls.createServer({ ...ssl, noDelay: true }, onSocket)
    : net.createServer({ noDelay: true }, onSocket)
  const [host, port] = where()
  const at = unixPath !== undefined ? { path: unixPath } : { host, port, ...extra }
  return new Promise((resolve) => {
    server.listen({ ...at, backlog: BACKLOG }, () => resolve(unixPath !== undefined ? 0 : server.address().port))
  })
}

/** The same echo as a wireline Protocol: writes what it gets, stops reading while paused. */
class Echo {
  connectionMade (transport) { this.transport = transport }
  dataReceived (data) { this.transport.write(data) }
  pauseWriting () { this.transport.pauseReading() }
  resumeWriting () { this.transport.resumeReading() }
}

/**
 * The echo as a BufferedProtocol (@wireline/buffered): Node reads into the protocol's own
 * buffer, and the protocol writes a view of it back. While a write still holds a view
 * (getWriteBufferSize() > 0), the next read goes into the rest of the buffer, and into a fresh
 * one once less than 16 KiB is left (a TLS record's worth); with nothing held, it starts over.
 */
class BufferedEcho {
  buf = Buffer.allocUnsafe(64 * 1024)
  at = 0
  connectionMade (transport) { this.transport = transport }
  getBuffer () {
    if (this.transport.getWriteBufferSize() === 0) this.at = 0
    else if (this.buf.length - this.at < 16 * 1024) {
      this.buf = Buffer.allocUnsafe(64 * 1024)
      this.at = 0
    }
    return this.at === 0 ? this.buf : this.buf.subarray(this.at)
  }

  bufferUpdated (n) {
    const start = this.at
    this.at += n
    this.transport.write(this.buf.subarray(start, this.at))
  }

  pauseWriting () { this.transport.pauseReading() }
  resumeWriting () { this.transport.resumeReading() }
}

/** Starts a wireline server of `family` (its createServer and createUnixServer); resolves to its port (0 on a Unix socket). */
async function listenWireline (family, factory) {
  const server = unixPath !== undefined
    ? await family.createUnixServer(factory, unixPath, { backlog: BACKLOG })
    : await family.createServer(factory, ...where(), { backlog: BACKLOG, ssl, ...extra })
  return unixPath !== undefined ? 0 : server.addresses()[0][1]
}

async function wirelineServer (fastPath) {
  setAcceptedSocketFastPath(fastPath)
  return listenWireline(streamFamily, () => new Echo())
}

/**
 * The echo with asyncio's streams: what a streams user writes. read(n) returns what is there
 * (at most n bytes; 64 KiB is the reader's limit), as `reader.read(100)` does in the docs'
 * example; a bare read() would wait for EOF.
 */
async function streamsEcho (reader, writer) {
  try {
    for (;;) {
      const data = await reader.read(65536)
      if (data.length === 0) break
      writer.write(data)
      await writer.drain()
    }
  } catch {
    // the load generator reset the connection
  }
  writer.close()
}

// --subscribe: a subscriber on every wireline diagnostics channel (doing nothing), to measure
// what the instrumentation costs when someone listens.
if (process.argv.includes('--subscribe')) {
  const noop = () => {}
  for (const name of ['connection:made', 'connection:lost', 'writing:paused', 'writing:resumed', 'server:listening', 'server:closed']) {
    diagnostics.subscribe(`wireline:${name}`, noop)
  }
  diagnostics.tracingChannel('wireline:connect').subscribe({ start: noop, end: noop, asyncStart: noop, asyncEnd: noop, error: noop })
}

const variant = process.argv[2]

/** Starts this process's echo server of `variant`; resolves to its port. */
async function serve () {
  if (variant === 'net') return netServer()
  if (variant === 'wireline') return wirelineServer(true)
  if (variant === 'wireline-data' && !useTls) return wirelineServer(false)
  if (variant === 'streams') {
    const server = unixPath !== undefined
      ? await streamFamily.startUnixServer(streamsEcho, unixPath, { backlog: BACKLOG })
      : await streamFamily.startServer(streamsEcho, ...where(), { backlog: BACKLOG, ssl, ...extra })
    return unixPath !== undefined ? 0 : server.addresses()[0][1]
  }
  if (variant === 'wireline-buffered') return listenWireline(bufferedFamily, () => new BufferedEcho())
  console.error(`unknown variant ${variant}`)
  process.exit(1)
}

/** This process's CPU time (µs) and peak RSS (KiB) so far. */
const usage = () => {
  const c = process.cpuUsage()
  return { cpu_us: c.user + c.system, max_rss_kib: process.resourceUsage().maxRSS }
}

/** Resolves with the workers' sum of `usage()`, over IPC. */
function workersUsage (workers) {
  return Promise.all(workers.map((w) => new Promise((resolve) => {
    const on = (m) => {
      if (m?.usage === undefined) return
      w.off('message', on)
      resolve(m.usage)
    }
    w.on('message', on)
    w.send('usage')
  })))
}

/**
 * Several processes (--procs): starts the workers, resolves to the port they share. With
 * --reuse-port the first one picks the port and the others bind the same one.
 */
async function startWorkers (workers) {
  if (!reusePort) {
    for (let i = 0; i < procs; i++) workers.push(cluster.fork())
    const ports = await Promise.all(workers.map((w) => new Promise((resolve) => w.once('listening', (a) => resolve(a.port)))))
    return ports[0]
  }
  let port = 0
  for (let i = 0; i < procs; i++) {
    const w = fork(process.argv[1], process.argv.slice(2), {
      env: { ...process.env, ECHO_REUSEPORT_WORKER: '1', ECHO_PORT: String(port) },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    })
    workers.push(w)
    port = await new Promise((resolve) => w.once('message', (m) => resolve(m.port)))
  }
  return port
}

if (cluster.isWorker || process.env.ECHO_REUSEPORT_WORKER === '1') {
  // A worker: serves, and answers the parent's `usage` over IPC.
  const port = await serve()
  process.on('message', (m) => { if (m === 'usage') process.send({ usage: usage() }) })
  if (!cluster.isWorker) process.send({ port })
} else {
  const workers = []
  const port = procs > 1 ? await startWorkers(workers) : await serve()
  const total = async () => (await workersUsage(workers)).reduce(
    (a, u) => ({ cpu_us: a.cpu_us + u.cpu_us, max_rss_kib: a.max_rss_kib + u.max_rss_kib }), usage())
  let at = await total()
  let t0 = process.hrtime.bigint()
  console.log(`PORT ${port}`)
  const lines = createInterface({ input: process.stdin })
  lines.on('line', async (line) => {
    if (line === 'mark') {
      t0 = process.hrtime.bigint()
      at = await total()
    } else if (line === 'report') {
      const now = await total()
      const wallMs = Number(process.hrtime.bigint() - t0) / 1e6
      console.log(`REPORT ${JSON.stringify({ cpu_us: now.cpu_us - at.cpu_us, wall_ms: wallMs, max_rss_kib: now.max_rss_kib })}`)
    }
  })
  lines.on('close', () => {
    for (const w of workers) w.kill()
    process.exit(0)
  })
}
