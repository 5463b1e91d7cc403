// The TCP proxy: curl through it to the HTTP example, and 1 GiB through it to a slow reader,
// with half-close passing through both ways and the proxy's buffers within the write limits.
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Protocol, createServer, type Server, type Transport } from '@wireline/stream'
import { afterEach, describe, expect, it } from 'vitest'
import { ClientSide, createProxy } from '../src/proxy.js'
import { exchange, run, sha256File, splitResponses, skipWithout, startHttp, stopServer } from './lib/io.js'

// Bun (see the guide's Bun section): where it differs from Node, the test says so beside the check
const onBun = 'Bun' in globalThis

const servers: Server[] = []
afterEach(async () => {
  for (const s of servers.splice(0).reverse()) await stopServer(s)
})

const portOf = (s: Server): number => (s.addresses()[0] as [string, number])[1]

/** The proxy in front of `upstreamPort`; `sides` collects the client side of each connection. */
async function proxyTo (upstreamPort: number): Promise<{ port: number, sides: ClientSide[] }> {
  const sides: ClientSide[] = []
  const proxy = await createProxy('127.0.0.1', upstreamPort, '127.0.0.1', 0, () => {
    const side = new ClientSide('127.0.0.1', upstreamPort)
    sides.push(side)
    return side
  })
  servers.push(proxy)
  return { port: portOf(proxy), sides }
}

describe.skipIf(skipWithout('curl'))('proxy under curl, to the HTTP example', () => {
  it('keep-alive, an 8 MiB echo and a 400 go through unchanged', async () => {
    const http = await startHttp()
    servers.push(http.server)
    const { port, sides } = await proxyTo(http.port)
    const url = `http://127.0.0.1:${port}/`
    const r = await run('curl', ['-sv', '--http1.1', url, url])
    expect(r.stdout.toString()).toBe('Hello World!Hello World!')
    expect(r.stderr).toMatch(/Re-?using existing connection/)
    expect(sides).toHaveLength(1) // both requests over one proxied connection

    const dir = mkdtempSync(join(tmpdir(), 'wl-proxy-'))
    try {
      writeFileSync(join(dir, 'in'), randomBytes(8 << 20))
      const up = await run('curl', ['-sS', '--fail', '--data-binary', `@${join(dir, 'in')}`, '-o', join(dir, 'out'), `${url}echo`])
      expect(up.stderr).toBe('')
      expect(await sha256File(join(dir, 'out'))).toBe(await sha256File(join(dir, 'in')))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
    const bad = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-H', 'Content-Length: x', '-X', 'POST', url])
    expect(bad.stdout.toString()).toBe('400')
  })
})

describe('proxy under raw TCP', () => {
  it('passes a half-close through: the request ends with FIN, the answer still comes back', async () => {
    const http = await startHttp()
    servers.push(http.server)
    const { port } = await proxyTo(http.port)
    const raw = await exchange(port, ['GET / HTTP/1.1\r\nHost: t\r\n\r\nGET /x HTTP/1.1\r\nHost: t\r\n\r\n'], { end: true })
    expect(splitResponses(raw).map((r) => r.status)).toEqual([200, 404])
  })

  it('resets the client when the upstream refuses', async () => {
    const http = await startHttp()
    const gone = http.port
    await stopServer(http.server)
    const { port } = await proxyTo(gone)
    expect((await exchange(port, ['hello'])).length).toBe(0)
  })

  it('carries 1 GiB to a slow reader with the buffers within the write limits', async () => {
    const TOTAL = 1 << 30
    const CHUNK = 1 << 20
    // the reader: hashes what it gets, stops reading for a moment every 16 MiB, and on EOF
    // answers with the count and the hash (its write side is still open: half-close)
    class SlowReader extends Protocol {
      transport!: Transport
      hash = createHash('sha256')
      count = 0
      override connectionMade (t: Transport): void { this.transport = t }
      override dataReceived (data: Uint8Array): void {
        this.hash.update(data)
        const before = this.count
        this.count += data.byteLength
        if (Math.floor(before / (16 << 20)) !== Math.floor(this.count / (16 << 20))) {
          this.transport.pauseReading()
          // the first pause is long enough for the whole pipeline to fill up behind it, on any
          // machine: the proxy must then pause its client side
          setTimeout(() => this.transport.resumeReading(), this.count <= (16 << 20) ? 200 : 2)
        }
      }

      override eofReceived (): boolean {
        this.transport.write(`${this.count} ${this.hash.digest('hex')}\n`)
        return false // close after the answer is flushed
      }
    }
    const reader = await createServer(() => new SlowReader(), '127.0.0.1', 0)
    servers.push(reader)
    const { port, sides } = await proxyTo(portOf(reader))

    const block = randomBytes(CHUNK)
    const sent = createHash('sha256')
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1')
      let got = ''
      let i = 0
      const pump = (): void => {
        while (i < TOTAL / CHUNK) {
          const chunk = Buffer.from(block)
          chunk.writeUInt32BE(i++, 0) // every chunk different
          sent.update(chunk)
          if (!socket.write(chunk)) return void socket.once('drain', pump)
        }
        socket.end() // half-close: no more data, but the answer is still to come
      }
      socket.on('connect', pump)
      socket.on('data', (d: Buffer) => { got += d.toString() })
      socket.on('error', reject)
      socket.on('close', () => resolve(got))
    })
    expect(answer).toBe(`${TOTAL} ${sent.digest('hex')}\n`)
    const side = sides[0]!
    const up = side.peer!
    expect(side.bytes).toBe(TOTAL)
    const [, high] = up.transport!.getWriteBufferLimits()
    // the upstream transport (towards the slow reader) filled up and paused the client side,
    // and never held more than its high-water mark plus one read
    expect(up.pauses).toBeGreaterThan(0)
    // (a read is 64 KiB at most on Node, 512 KiB on Bun)
    const read = (onBun ? 512 : 64) * 1024
    expect(side.maxBuffered).toBeLessThanOrEqual(high + read)
    expect(up.maxBuffered).toBeLessThanOrEqual(high + read)
  }, 60_000)
})
