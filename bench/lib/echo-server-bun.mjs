// The Bun anchor for the echo suites (`--anchors`, where the `bun` binary is found): the same
// echo on Bun's own socket API (`Bun.listen`), speaking echo-server.mjs's stdin/stdout lines:
//
//   bun bench/lib/echo-server-bun.mjs [--unix=PATH]
//
// `Bun.listen`'s `socket.write()` returns how many bytes the kernel took; what it did not
// take is kept per socket and written again on `drain`, and the socket stops reading
// (`pause()`) meanwhile: the same flow control as the other echoes.
import { createInterface } from 'node:readline'

const unixPath = process.argv.find((a) => a.startsWith('--unix='))?.slice(7)

const handlers = {
  open (socket) { socket.data = { pending: null } },
  data (socket, chunk) {
    const st = socket.data
    if (st.pending !== null) {
      st.pending = Buffer.concat([st.pending, chunk])
      return
    }
    const n = socket.write(chunk)
    if (n < chunk.length) {
      st.pending = Buffer.from(chunk.subarray(Math.max(0, n)))
      socket.pause?.()
    }
  },
  drain (socket) {
    const st = socket.data
    if (st.pending === null) return
    const n = socket.write(st.pending)
    if (n < st.pending.length) st.pending = st.pending.subarray(Math.max(0, n))
    else {
      st.pending = null
      socket.resume?.()
    }
  },
  error () {},
}

const server = unixPath !== undefined
  ? Bun.listen({ unix: unixPath, socket: handlers })
  : Bun.listen({ hostname: '127.0.0.1', port: 0, socket: handlers })

const usage = () => {
  const c = process.cpuUsage()
  return { cpu_us: c.user + c.system, max_rss_kib: process.resourceUsage().maxRSS }
}
let at = usage()
let t0 = performance.now()
console.log(`PORT ${unixPath !== undefined ? 0 : server.port}`)
const lines = createInterface({ input: process.stdin })
lines.on('line', (line) => {
  if (line === 'mark') {
    at = usage()
    t0 = performance.now()
  } else if (line === 'report') {
    const now = usage()
    console.log(`REPORT ${JSON.stringify({ cpu_us: now.cpu_us - at.cpu_us, wall_ms: performance.now() - t0, max_rss_kib: now.max_rss_kib })}`)
  }
})
lines.on('close', () => process.exit(0))
