// The slow reader of bench/suites/backpressure.mjs, in a process of its own:
//
//   node bench/lib/bp-reader.mjs RATE_MIB_PER_S
//
// Listens on 127.0.0.1 (prints `PORT <n>`), accepts one connection and reads it no faster
// than RATE (it pauses the socket whenever it is ahead of the rate), so that the writer
// outpaces it. At the writer's EOF it prints `DONE {"received":..,"seconds":..}` and exits.
import net from 'node:net'

const rate = Number(process.argv[2]) * 1024 * 1024 // bytes per second
const server = net.createServer((socket) => {
  server.close()
  let received = 0
  let t0 = 0
  socket.on('data', (chunk) => {
    if (t0 === 0) t0 = performance.now()
    received += chunk.length
    const ahead = received / rate * 1000 - (performance.now() - t0)
    if (ahead > 1) {
      socket.pause()
      setTimeout(() => socket.resume(), ahead)
    }
  })
  socket.on('end', () => {
    console.log('DONE ' + JSON.stringify({ received, seconds: (performance.now() - t0) / 1000 }))
    socket.end()
  })
  socket.on('error', (err) => {
    console.error(`reader: ${err.message}`)
    process.exit(1)
  })
})
server.listen({ host: '127.0.0.1', port: 0 }, () => console.log(`PORT ${server.address().port}`))
