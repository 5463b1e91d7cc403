// Fallback load generator for bench/suites/tcp-echo.mjs when no C compiler is found: the same
// arguments and output as loadgen/tcp-echo-client.c, in Node (slower: it may well be the
// bottleneck, which its printed CPU share then shows).
//
//   node bench/lib/echo-client.mjs HOST PORT CONNS SIZE WARMUP_MS DURATION_MS
import net from 'node:net'

const [host, portS, connsS, sizeS, warmupS, durationS] = process.argv.slice(2)
const port = Number(portS)
const conns = Number(connsS)
const size = Number(sizeS)
const warmupMs = Number(warmupS)
const durationMs = Number(durationS)

const message = Buffer.alloc(size, 7)
const latencies = []
let measuring = false
let requests = 0
let cpu0
let t0

const sockets = []
for (let i = 0; i < conns; i++) {
  const socket = net.connect({ host, port, noDelay: true })
  let received = 0
  let start = 0
  const send = () => {
    received = 0
    start = performance.now()
    socket.write(message)
  }
  socket.on('connect', send)
  socket.on('data', (chunk) => {
    received += chunk.length
    if (received > size) {
      console.error('echo-client: received more bytes than sent')
      process.exit(4)
    }
    if (received === size) {
      if (measuring) {
        requests++
        latencies.push(performance.now() - start)
      }
      send()
    }
  })
  socket.on('error', (err) => {
    console.error(`echo-client: ${err.message}`)
    process.exit(3)
  })
  sockets.push(socket)
}

setTimeout(() => {
  measuring = true
  cpu0 = process.cpuUsage()
  t0 = performance.now()
  console.log('START')
  setTimeout(() => {
    measuring = false
    const seconds = (performance.now() - t0) / 1000
    const cpu = process.cpuUsage(cpu0)
    const cpuS = (cpu.user + cpu.system) / 1e6
    latencies.sort((a, b) => a - b)
    const pct = (p) => (latencies.length ? latencies[Math.floor((latencies.length - 1) * p)] * 1000 : 0)
    console.log('RESULT ' + JSON.stringify({
      requests,
      seconds,
      bytes: requests * size,
      p50_us: pct(0.5),
      p99_us: pct(0.99),
      p999_us: pct(0.999),
      max_us: latencies.length ? latencies[latencies.length - 1] * 1000 : 0,
      cpu_s: cpuS,
      cpu_share: cpuS / seconds,
    }))
    for (const s of sockets) s.destroy()
    process.exit(0)
  }, durationMs)
}, warmupMs)
