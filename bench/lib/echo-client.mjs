// Fallback load generator for bench/suites/tcp-echo.mjs when no C compiler is found: the same
// arguments, turns and output as loadgen/tcp-echo-client.c, in Node (slower: it may well be
// the bottleneck, which its printed CPU share then shows).
//
//   node bench/lib/echo-client.mjs [--tls=CA_FILE] HOST SIZE CONNS WARMUP_MS DURATION_MS SLICE_MS PORT [PORT...]
//
// --tls: over TLS, trusting the CA certificates in CA_FILE (handshakes before the clock starts).
import { readFileSync } from 'node:fs'
import net from 'node:net'
import tls from 'node:tls'

const argv = process.argv.slice(2)
const ca = argv[0]?.startsWith('--tls=') ? readFileSync(argv.shift().slice(6)) : null
const [host, sizeS, connsS, warmupS, durationS, sliceS, ...portsS] = argv
const size = Number(sizeS)
const nconns = Number(connsS)
const warmupMs = Number(warmupS)
const durationMs = Number(durationS)
const sliceMs = Number(sliceS)

const message = Buffer.alloc(size, 7)
const cpuSeconds = () => {
  const c = process.cpuUsage()
  return (c.user + c.system) / 1e6
}

let measuring = false
let draining = false
let inFlight = 0
let onIdle = null

/** One server's connections and what was measured on them. */
const targets = portsS.map(Number).map(() => ({ conns: [], requests: 0, activeMs: 0, cpuS: 0, lat: [] }))

function connect (port, target) {
  return new Promise((resolve, reject) => {
    const socket = ca === null
      ? net.connect({ host, port, noDelay: true })
      : tls.connect({ host, port, noDelay: true, ca })
    const conn = { socket, received: 0, start: 0, busy: false }
    socket.on('data', (chunk) => {
      conn.received += chunk.length
      if (!conn.busy || conn.received > size) {
        console.error('echo-client: received more bytes than sent')
        process.exit(4)
      }
      if (conn.received < size) return
      conn.busy = false
      inFlight--
      if (measuring) {
        target.requests++
        target.lat.push(performance.now() - conn.start)
      }
      if (!draining) send(conn)
      else if (inFlight === 0) onIdle?.()
    })
    socket.on('error', (err) => {
      console.error(`echo-client: ${err.message}`)
      process.exit(3)
    })
    socket.once(ca === null ? 'connect' : 'secureConnect', () => resolve(conn))
    socket.once('error', reject)
  })
}

function send (conn) {
  conn.received = 0
  conn.busy = true
  inFlight++
  conn.start = performance.now()
  conn.socket.write(message)
}

/** Runs one turn of `target`: its connections busy for `sliceMs`, then until their last reply. */
function slice (target) {
  return new Promise((resolve) => {
    const t0 = performance.now()
    const c0 = cpuSeconds()
    draining = false
    for (const c of target.conns) send(c)
    setTimeout(() => {
      draining = true
      onIdle = () => {
        onIdle = null
        if (measuring) {
          target.activeMs += performance.now() - t0
          target.cpuS += cpuSeconds() - c0
        }
        resolve()
      }
      if (inFlight === 0) onIdle()
    }, sliceMs)
  })
}

for (const [i, port] of portsS.map(Number).entries()) {
  for (let k = 0; k < nconns; k++) targets[i].conns.push(await connect(port, targets[i]))
}

const begin = performance.now()
while (performance.now() - begin < warmupMs) for (const t of targets) await slice(t)
measuring = true
console.log('START')
const t0 = performance.now()
const cpu0 = cpuSeconds()
while (performance.now() - t0 < durationMs) for (const t of targets) await slice(t)
const seconds = (performance.now() - t0) / 1000
const cpu = cpuSeconds() - cpu0

targets.forEach((t, i) => {
  t.lat.sort((a, b) => a - b)
  const pct = (p) => (t.lat.length ? t.lat[Math.floor((t.lat.length - 1) * p)] * 1000 : 0)
  console.log(`RESULT ${i} ` + JSON.stringify({
    requests: t.requests,
    seconds: t.activeMs / 1000,
    bytes: t.requests * size,
    p50_us: pct(0.5),
    p99_us: pct(0.99),
    p999_us: pct(0.999),
    max_us: t.lat.length ? t.lat[t.lat.length - 1] * 1000 : 0,
    cpu_s: t.cpuS,
  }))
})
console.log('END ' + JSON.stringify({ cpu_s: cpu, cpu_share: cpu / seconds, seconds }))
for (const t of targets) for (const c of t.conns) c.socket.destroy()
process.exit(0)
