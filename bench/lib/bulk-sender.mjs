// Fallback sender for bench/suites/bulk-receive.mjs when no C compiler is found: the same
// arguments and output as loadgen/bulk-sender.c, in Node (one preallocated chunk written again
// and again, as fast as write()/'drain' allow; it may be the bottleneck, which its printed CPU
// share then shows).
//
//   node bench/lib/bulk-sender.mjs listen BYTES CHUNK | connect PORT BYTES CHUNK
import net from 'node:net'

const [mode, ...rest] = process.argv.slice(2)
const [total, chunkSize] = (mode === 'listen' ? rest : rest.slice(1)).map(Number)
const chunk = Buffer.alloc(chunkSize, 7)

function send (socket) {
  const t0 = performance.now()
  const cpu0 = process.cpuUsage()
  let sent = 0
  const pump = () => {
    while (sent < total) {
      const piece = total - sent < chunk.length ? chunk.subarray(0, total - sent) : chunk
      sent += piece.length
      if (!socket.write(piece)) return
    }
    socket.end()
  }
  socket.on('drain', pump)
  socket.on('data', () => {})
  socket.on('error', (err) => {
    if (err.code !== 'ECONNRESET') throw err
  })
  socket.on('close', () => {
    const cpu = process.cpuUsage(cpu0)
    console.log('DONE ' + JSON.stringify({ bytes: sent, seconds: (performance.now() - t0) / 1000, cpu_s: (cpu.user + cpu.system) / 1e6 }))
    process.exit(0)
  })
  pump()
}

if (mode === 'listen') {
  const server = net.createServer((socket) => {
    server.close()
    send(socket)
  })
  server.listen({ host: '127.0.0.1', port: 0 }, () => console.log(`PORT ${server.address().port}`))
} else if (mode === 'connect') {
  const socket = net.connect({ host: '127.0.0.1', port: Number(rest[0]) }, () => send(socket))
} else {
  console.error('usage: bulk-sender.mjs listen BYTES CHUNK | connect PORT BYTES CHUNK')
  process.exit(1)
}
