// The server side of suites/conn-memory.mjs: an echo server, raw `net` or wireline
// (`@wireline/stream` createServer + a Protocol), on 127.0.0.1 port 0. Prints {"port"}; on a
// "mem" line from stdin, collects garbage and prints its memory and connection count.
//   node --expose-gc lib/conn-memory-server.mjs raw|wireline
import * as net from 'node:net'
import { createInterface } from 'node:readline'
import { Protocol, createServer } from '@wireline/stream'

const variant = process.argv[2]
let connections = 0
let port

if (variant === 'raw') {
  const server = net.createServer((socket) => {
    connections++
    socket.setNoDelay(true)
    socket.on('data', (d) => socket.write(d))
    socket.on('error', () => {})
    socket.on('close', () => { connections-- })
  })
  await new Promise((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve))
  port = server.address().port
} else {
  class Echo extends Protocol {
    connectionMade (t) { this.t = t; connections++ }
    dataReceived (d) { this.t.write(d) }
    connectionLost () { connections-- }
  }
  const server = await createServer(() => new Echo(), '127.0.0.1', 0, { backlog: 4096 })
  port = server.addresses()[0][1]
}

function settle () {
  for (let i = 0; i < 4; i++) globalThis.gc?.()
}

console.log(JSON.stringify({ port }))
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line !== 'mem') return
  settle()
  const m = process.memoryUsage()
  console.log(JSON.stringify({ rss: m.rss, heapUsed: m.heapUsed, external: m.external, connections }))
})
process.stdin.on('end', () => process.exit(0))
