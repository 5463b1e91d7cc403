// The writer of bench/suites/backpressure.mjs, in a process of its own:
//
//   node bench/lib/bp-writer.mjs <wireline | polite | naive> PORT TOTAL_BYTES CHUNK_BYTES
//
// Connects to the slow reader and writes TOTAL_BYTES in fresh CHUNK_BYTES chunks (as a
// producer of new data would), then closes and prints
// `RESULT {"written":..,"seconds":..,"baseline_rss_kib":..,"max_rss_kib":..,"pauses":..,
// "max_buffered":..}` (max_buffered: the most bytes the transport or socket held unsent).
// - wireline: a Protocol that produces while it may: it stops at pauseWriting() and goes on
//   at resumeWriting(), so at most about the high-water mark is buffered.
// - polite: raw `net` that heeds write()'s return value: it stops when write() returns false
//   and goes on at 'drain' (the control: what the same producer costs on Node's own
//   backpressure, so what is left of the growth is the garbage collector's timing).
// - naive: raw `net`, writing a batch every tick and ignoring write()'s return value: what
//   the reader cannot take yet piles up in the socket's buffer.
import net from 'node:net'
import { createConnection } from '@wireline/stream'

const [mode, portS, totalS, chunkS] = process.argv.slice(2)
const port = Number(portS)
const total = Number(totalS)
const chunkSize = Number(chunkS)
const BATCH = 16 // chunks per tick, for both writers

function freshChunk (n) {
  const b = Buffer.allocUnsafe(chunkSize)
  b.fill(n & 0xff) // touch the memory, as a real producer would
  return b
}

const baseline = process.memoryUsage().rss
let written = 0
let pauses = 0
let maxBuffered = 0
let t0 = 0

function finish () {
  const seconds = (performance.now() - t0) / 1000
  console.log('RESULT ' + JSON.stringify({
    written,
    seconds,
    baseline_rss_kib: Math.round(baseline / 1024),
    max_rss_kib: process.resourceUsage().maxRSS,
    pauses,
    max_buffered: maxBuffered,
  }))
}

if (mode === 'wireline') {
  class Producer {
    paused = false
    scheduled = false
    connectionMade (transport) {
      this.transport = transport
      t0 = performance.now()
      this.schedule()
    }

    schedule () {
      if (this.scheduled) return
      this.scheduled = true
      setImmediate(() => {
        this.scheduled = false
        this.produce()
      })
    }

    produce () {
      for (let i = 0; i < BATCH && !this.paused && written < total; i++) {
        this.transport.write(freshChunk(written / chunkSize))
        written += chunkSize
        maxBuffered = Math.max(maxBuffered, this.transport.getWriteBufferSize())
      }
      if (written >= total) this.transport.close()
      else if (!this.paused) this.schedule()
    }

    pauseWriting () {
      this.paused = true
      pauses++
    }

    resumeWriting () {
      this.paused = false
      this.schedule()
    }

    connectionLost (exc) {
      if (exc) {
        console.error(`writer: ${exc.message}`)
        process.exit(1)
      }
      finish()
    }
  }
  await createConnection(() => new Producer(), '127.0.0.1', port)
} else if (mode === 'polite') {
  const socket = net.connect({ host: '127.0.0.1', port })
  socket.on('error', (err) => {
    console.error(`writer: ${err.message}`)
    process.exit(1)
  })
  let scheduled = false
  const schedule = () => {
    if (scheduled) return
    scheduled = true
    setImmediate(produce)
  }
  const produce = () => {
    scheduled = false
    let more = true
    for (let i = 0; i < BATCH && more && written < total; i++) {
      more = socket.write(freshChunk(written / chunkSize))
      written += chunkSize
      maxBuffered = Math.max(maxBuffered, socket.writableLength)
    }
    if (written >= total) socket.end()
    else if (more) schedule()
    else pauses++
  }
  socket.on('drain', schedule)
  socket.on('connect', () => {
    t0 = performance.now()
    produce()
  })
  socket.on('close', finish)
} else {
  const socket = net.connect({ host: '127.0.0.1', port })
  socket.on('error', (err) => {
    console.error(`writer: ${err.message}`)
    process.exit(1)
  })
  socket.on('connect', () => {
    t0 = performance.now()
    const produce = () => {
      for (let i = 0; i < BATCH && written < total; i++) {
        socket.write(freshChunk(written / chunkSize)) // the return value is ignored
        written += chunkSize
        maxBuffered = Math.max(maxBuffered, socket.writableLength)
      }
      if (written < total) setImmediate(produce)
      else socket.end()
    }
    produce()
  })
  socket.on('close', finish)
}
