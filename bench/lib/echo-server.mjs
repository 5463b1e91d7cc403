// One echo server for bench/suites/tcp-echo.mjs and tls-echo.mjs, in a process of its own:
//
//   node bench/lib/echo-server.mjs <net | wireline | wireline-data | wireline-buffered | streams> [--tls] [--subscribe]
//
// `streams` is the echo of asyncio's high-level streams (@wireline/stream startServer):
// `reader.read(64 KiB)`, `writer.write()`, `await writer.drain()`, in a loop.
// With --tls the same echoes run over TLS (the test certificate of @wireline/core/testing):
// `net` becomes the canonical raw `tls.createServer` echo, the wireline ones pass
// `ssl: serverTls()` (wireline-data has no TLS form: TLS always reads through 'data').
// It listens on 127.0.0.1 (a free port), prints `PORT <n>`, and then answers the bench on
// stdin/stdout, one line each: `mark` starts the measured window, `report` ends it and prints
// `REPORT {"cpu_us": ..., "wall_ms": ..., "max_rss_kib": ...}` (the server's own
// process.cpuUsage() over the window, and its peak RSS since it started). Stdin's end exits.
import diagnostics from 'node:diagnostics_channel'
import net from 'node:net'
import { createInterface } from 'node:readline'
import tls from 'node:tls'
import { createServer as createBufferedServer } from '@wireline/buffered'
import { setAcceptedSocketFastPath } from '@wireline/core/machinery'
import { serverTls } from '@wireline/core/testing'
import { createServer, startServer } from '@wireline/stream'

const BACKLOG = 511 // Node's default for net.Server; wireline's is asyncio's 100
const useTls = process.argv.includes('--tls')
/** wireline's `ssl` option: the test server certificate, or none. */
const ssl = useTls ? serverTls() : undefined

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
    ? tls.createServer({ ...serverTls(), noDelay: true }, onSocket)
    : net.createServer({ noDelay: true }, onSocket)
  return new Promise((resolve) => {
    server.listen({ host: '127.0.0.1', port: 0, backlog: BACKLOG }, () => resolve(server.address().port))
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
 * buffer, and the protocol writes a view of it back. While a write still holds that view
 * (getWriteBufferSize() > 0), the next read goes into a fresh buffer.
 */
class BufferedEcho {
  buf = Buffer.allocUnsafe(64 * 1024)
  connectionMade (transport) { this.transport = transport }
  getBuffer () {
    if (this.transport.getWriteBufferSize() > 0) this.buf = Buffer.allocUnsafe(64 * 1024)
    return this.buf
  }

  bufferUpdated (n) { this.transport.write(this.buf.subarray(0, n)) }
  pauseWriting () { this.transport.pauseReading() }
  resumeWriting () { this.transport.resumeReading() }
}

async function wirelineServer (fastPath) {
  setAcceptedSocketFastPath(fastPath)
  const server = await createServer(() => new Echo(), '127.0.0.1', 0, { backlog: BACKLOG, ssl })
  return server.addresses()[0][1]
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
let port
if (variant === 'net') port = await netServer()
else if (variant === 'wireline') port = await wirelineServer(true)
else if (variant === 'wireline-data' && !useTls) port = await wirelineServer(false)
else if (variant === 'streams') {
  const server = await startServer(streamsEcho, '127.0.0.1', 0, { backlog: BACKLOG, ssl })
  port = server.addresses()[0][1]
}
else if (variant === 'wireline-buffered') {
  const server = await createBufferedServer(() => new BufferedEcho(), '127.0.0.1', 0, { backlog: BACKLOG, ssl })
  port = server.addresses()[0][1]
}
else {
  console.error(`unknown variant ${variant}`)
  process.exit(1)
}

let cpu0 = process.cpuUsage()
let t0 = process.hrtime.bigint()
console.log(`PORT ${port}`)
const lines = createInterface({ input: process.stdin })
lines.on('line', (line) => {
  if (line === 'mark') {
    cpu0 = process.cpuUsage()
    t0 = process.hrtime.bigint()
  } else if (line === 'report') {
    const cpu = process.cpuUsage(cpu0)
    const wallMs = Number(process.hrtime.bigint() - t0) / 1e6
    const maxRssKiB = process.resourceUsage().maxRSS
    console.log(`REPORT ${JSON.stringify({ cpu_us: cpu.user + cpu.system, wall_ms: wallMs, max_rss_kib: maxRssKiB })}`)
  }
})
lines.on('close', () => process.exit(0))
