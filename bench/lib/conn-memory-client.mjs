// The client side of suites/conn-memory.mjs: opens `count` connections to 127.0.0.1:port
// (`batch` at a time) and holds them idle; on an "echo" line each sends 16 bytes and waits
// for them back; prints "connected" / "echoed" when done (or {"error"}).
//   node lib/conn-memory-client.mjs <port> <count> [batch]
import * as net from 'node:net'
import { createInterface } from 'node:readline'

const [port, count, batch = 250] = process.argv.slice(2).map(Number)
const sockets = []

function connect () {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1' })
    s.once('connect', () => { s.off('error', reject); s.on('error', () => {}); resolve(s) })
    s.once('error', reject)
  })
}

try {
  while (sockets.length < count) {
    const n = Math.min(batch, count - sockets.length)
    sockets.push(...await Promise.all(Array.from({ length: n }, connect)))
  }
  console.log('connected')
} catch (err) {
  console.log(JSON.stringify({ error: String(err) }))
  process.exit(1)
}

const payload = Buffer.alloc(16, 120)
createInterface({ input: process.stdin }).on('line', async (line) => {
  if (line !== 'echo') return
  for (let i = 0; i < sockets.length; i += batch) {
    await Promise.all(sockets.slice(i, i + batch).map((s) => new Promise((resolve) => {
      let got = 0
      const onData = (d) => { got += d.length; if (got >= payload.length) { s.off('data', onData); resolve() } }
      s.on('data', onData)
      s.write(payload)
    })))
  }
  console.log('echoed')
})
process.stdin.on('end', () => process.exit(0))
