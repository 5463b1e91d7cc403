import { randomBytes } from 'node:crypto'
import { describe, expect, it, onTestFinished } from 'vitest'
import { Deferred, withTimeout } from '@wireline/core/testing'
import { openConnection, startServer } from '../src/index.js'
import type { StreamReader, StreamWriter } from '../src/index.js'
import { cleanupServer, portOf, rawServer, sha256 } from './helpers.js'

const T = 20_000
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/** Turns the event loop until `done()` is true; rejects (and stops turning) after `ms`. */
async function until (done: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms} ms`)
    await turn()
  }
}

/** Everything a ReadableStream yields, joined. */
async function drainAll (stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = []
  for await (const part of stream) parts.push(part)
  return Buffer.concat(parts)
}

async function connect (port: number): Promise<[StreamReader, StreamWriter]> {
  const pair = await openConnection('127.0.0.1', port)
  onTestFinished(() => { pair[1].transport.abort() })
  return pair
}

/** A wireline echo server written with the bridge: the connection's readable piped into its writable. */
async function pipeEchoServer (): Promise<number> {
  const server = cleanupServer(await startServer((reader, writer) => reader.readable.pipeTo(writer.writable), '127.0.0.1', 0))
  return portOf(server)
}

describe('Web Streams over a connection', () => {
  it('a gzip round trip: CompressionStream → writable, an echo server, readable → DecompressionStream', async () => {
    const port = await pipeEchoServer()
    const [reader, writer] = await connect(port)
    // 8 MiB that compresses (text) with incompressible stretches (random)
    const parts: Buffer[] = []
    for (let i = 0; i < 64; i++) parts.push(Buffer.from(`line ${i} `.repeat(8000)), randomBytes(64 * 1024))
    const input = Buffer.concat(parts)
    const sent = new Blob([input]).stream()
      .pipeThrough(new CompressionStream('gzip'))
      .pipeTo(writer.writable)
    const wire = new Deferred<Buffer>() // the first compressed bytes, as they came back
    const back = reader.readable.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({
      transform (chunk, controller) {
        if (!wire.settled) wire.resolve(Buffer.from(chunk))
        controller.enqueue(chunk)
      },
    })).pipeThrough(new DecompressionStream('gzip'))
    const output = await withTimeout(drainAll(back), T)
    await withTimeout(sent, T)
    expect(output.length).toBe(input.length)
    expect(sha256(output)).toBe(sha256(input))
    const first = await wire.promise
    expect([first[0], first[1]]).toEqual([0x1f, 0x8b]) // gzip went over the wire
    expect(reader.atEof()).toBe(true)
    // EOF both ways: Node ends a socket whose two halves are closed, so the connection is over
    await withTimeout(writer.waitClosed(), T)
  })

  it('pipeThrough(new TextDecoderStream()) decodes UTF-8 split across chunks', async () => {
    const peer = await rawServer()
    const [reader] = await connect(peer.port)
    const s = await peer.next()
    const bytes = Buffer.from('héllo wörld — ☃\n')
    for (const b of bytes) s.write(Buffer.of(b)) // one byte at a time: characters split everywhere
    s.end()
    let textOut = ''
    for await (const piece of reader.readable.pipeThrough(new TextDecoderStream())) textOut += piece
    expect(textOut).toBe('héllo wörld — ☃\n')
  })

  it('writable backpressure is drain(): a peer that does not read stalls the pipe with a bounded buffer', async () => {
    const peer = await rawServer({ pauseOnConnect: true })
    const [, writer] = await connect(peer.port)
    const s = await peer.next()
    const CHUNK = 64 * 1024
    const TOTAL = 64 * 1024 * 1024
    let produced = 0
    let maxBuffer = 0
    const source = new ReadableStream<Uint8Array>({
      pull (controller) {
        if (produced >= TOTAL) { controller.close(); return }
        produced += CHUNK
        controller.enqueue(Buffer.alloc(CHUNK, 1))
        maxBuffer = Math.max(maxBuffer, writer.transport.getWriteBufferSize())
      },
    }, { highWaterMark: 0 })
    const piping = source.pipeTo(writer.writable)
    // wait for the stall: the transport paused writing and the source stopped being pulled
    let last = -1
    let still = 0
    await until(() => {
      if (produced === last && writer.transport.getWriteBufferSize() > 65536) still++
      else still = 0
      last = produced
      return still >= 20
    }, T, 'the stall')
    expect(produced).toBeLessThan(TOTAL / 2)
    expect(writer.transport.getWriteBufferSize()).toBeLessThanOrEqual(65536 + CHUNK)
    // let the peer read: the pipe completes, and closing the writable sent EOF
    let got = 0
    s.on('data', (c: Buffer) => { got += c.length })
    const ended = new Promise((resolve) => s.once('end', resolve))
    s.resume()
    await withTimeout(piping, T)
    await withTimeout(ended, T)
    expect(got).toBe(TOTAL)
    expect(maxBuffer).toBeLessThanOrEqual(65536 + CHUNK)
  })

  it('a reset errors the readable with the connection error', async () => {
    const peer = await rawServer()
    const [reader] = await connect(peer.port)
    const s = await peer.next()
    s.write('some')
    const r = reader.readable.getReader()
    expect(Buffer.from((await withTimeout(r.read(), T)).value!).toString()).toBe('some')
    s.resetAndDestroy()
    await expect(withTimeout(r.read(), T)).rejects.toMatchObject({ code: 'ECONNRESET' })
  })

  it('cancelling the readable closes the transport; the same readable and writable each time', async () => {
    const peer = await rawServer()
    const [reader, writer] = await connect(peer.port)
    const s = await peer.next()
    const closed = new Promise((resolve) => s.once('end', resolve))
    expect(reader.readable).toBe(reader.readable)
    expect(writer.writable).toBe(writer.writable)
    await reader.readable.cancel()
    await withTimeout(closed, T)
    await withTimeout(writer.waitClosed(), T)
  })
})
