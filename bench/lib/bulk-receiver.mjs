// One receiver of bench/suites/bulk-receive.mjs, in a process of its own:
//
//   node bench/lib/bulk-receiver.mjs VARIANT BYTES [PORT] [--alloc]
//
// Client variants connect to a sender listening on 127.0.0.1:PORT; server variants listen on
// 127.0.0.1 (a free port), print `PORT <n>` and take the sender's connection. Variants:
//   buffered              @wireline/buffered createConnection, a BufferedProtocol reusing one 256 KiB buffer
//   buffered-server       @wireline/buffered createServer (accepted sockets re-wrapped with onread)
//   buffered-server-data  the same with setAcceptedSocketFastPath(false): Node's 'data' events
//   stream                @wireline/stream createConnection, a Protocol that counts bytes
//   net                   raw net.connect with a 'data' listener that counts bytes
//   net-onread            raw net.connect({ onread }) into one reused 256 KiB buffer (Node's own zero-copy option)
//
// Every receiver only counts the bytes. The transfer runs from the first byte to the EOF; over
// it the receiver measures wall time, its own CPU time (process.cpuUsage()), the garbage
// collections (a PerformanceObserver on 'gc' entries, counted by their start time), the reads
// (chunks delivered) and its peak RSS, and prints
//
//   RESULT {"bytes":..,"seconds":..,"cpu_us":..,"chunks":..,"gcs":..,"gc_ms":..,"max_rss_kib":..,"alloc_bytes":..}
//
// With --alloc it also counts the ArrayBuffer bytes allocated (alloc_bytes, else null): V8's
// counter of external memory, which every ArrayBuffer backing store attached to the heap adds
// to when it is created and subtracts from when the collector frees it, is read after every
// chunk, and the increases are summed. A level read only at the start and the end would net
// the frees out (a receiver that allocates 1 GiB and frees it shows ~0); read after every
// chunk, a free hides an allocation only in the few intervals where the collector's frees
// land. Reading it costs ~3 µs, so --alloc runs are not timed (the suite runs them apart).
import net from 'node:net'
import { PerformanceObserver, performance } from 'node:perf_hooks'
import v8 from 'node:v8'
import { createConnection as createBufferedConnection, createServer as createBufferedServer } from '@wireline/buffered'
import { setAcceptedSocketFastPath } from '@wireline/core/machinery'
import { createConnection as createStreamConnection } from '@wireline/stream'

const args = process.argv.slice(2)
const alloc = args.includes('--alloc')
const [variant, bytesS, portS] = args.filter((a) => !a.startsWith('--'))
const expected = Number(bytesS)
const BUFFER_SIZE = 256 * 1024

// Every collection, by its start time; counted once the transfer is over.
const gcs = []
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcs.push(e)
}).observe({ entryTypes: ['gc'] })

let received = 0
let chunks = 0
let t0 = 0
let cpu0 = null
let allocated = 0
let level = 0
const externalMemory = () => v8.getHeapStatistics().external_memory

/** Called with every chunk's size, by every variant. */
function onChunk (n) {
  if (received === 0) {
    t0 = performance.now()
    cpu0 = process.cpuUsage()
    if (alloc) level = externalMemory()
  }
  received += n
  chunks++
  if (alloc) {
    const now = externalMemory()
    if (now > level) allocated += now - level
    level = now
  }
}

let finished = false
/** Called once at the EOF. */
function onEnd () {
  if (finished) return
  finished = true
  const seconds = (performance.now() - t0) / 1000
  const cpu = process.cpuUsage(cpu0)
  const t1 = performance.now()
  // gc entries arrive asynchronously: let the observer catch up before counting.
  setTimeout(() => {
    const during = gcs.filter((e) => e.startTime >= t0 && e.startTime <= t1)
    console.log('RESULT ' + JSON.stringify({
      bytes: received,
      seconds,
      cpu_us: cpu.user + cpu.system,
      chunks,
      gcs: during.length,
      gc_ms: during.reduce((sum, e) => sum + e.duration, 0),
      max_rss_kib: process.resourceUsage().maxRSS,
      alloc_bytes: alloc ? allocated : null,
    }))
    process.exit(received === expected ? 0 : 5)
  }, 20)
}

/** (a) the BufferedProtocol: one 256 KiB buffer, reused for every read. */
class Sink {
  buffer = new Uint8Array(BUFFER_SIZE)
  getBuffer () { return this.buffer }
  bufferUpdated (n) { onChunk(n) }
  eofReceived () { onEnd() }
}

/** (b) the stream Protocol. */
class Counter {
  dataReceived (data) { onChunk(data.length) }
  eofReceived () { onEnd() }
}

const port = Number(portS)
switch (variant) {
  case 'buffered':
    await createBufferedConnection(() => new Sink(), '127.0.0.1', port)
    break
  case 'buffered-server':
  case 'buffered-server-data': {
    setAcceptedSocketFastPath(variant === 'buffered-server')
    const server = await createBufferedServer(() => new Sink(), '127.0.0.1', 0)
    console.log(`PORT ${server.addresses()[0]?.[1]}`)
    break
  }
  case 'stream':
    await createStreamConnection(() => new Counter(), '127.0.0.1', port)
    break
  case 'net': {
    const socket = net.connect({ host: '127.0.0.1', port })
    socket.on('data', (chunk) => onChunk(chunk.length))
    socket.on('end', onEnd)
    break
  }
  case 'net-onread': {
    const buffer = Buffer.allocUnsafe(BUFFER_SIZE)
    const socket = net.connect({ host: '127.0.0.1', port, onread: { buffer, callback: (n) => { onChunk(n) } } })
    socket.on('end', onEnd)
    break
  }
  default:
    console.error(`unknown variant ${variant}`)
    process.exit(1)
}
