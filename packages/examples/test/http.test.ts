// The HTTP/1.1 example under curl (a client nobody here wrote) and under raw bytes: keep-alive,
// pipelining, bodies by length and chunked, a 64 MiB upload, malformed input, flow control.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createInterface } from 'node:readline'
import net from 'node:net'
import type { Server } from '@wireline/stream'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { HttpProtocol } from '../src/http/server.js'
import { helloEcho } from '../src/http/routes.js'
import { exchange, run, sha256, sha256File, splitResponses, skipWithout, startHttp, stopServer } from './lib/io.js'

// Bun (see the guide's Bun section): where it differs from Node, the test says so beside the check
const onBun = 'Bun' in globalThis

let server: Server | undefined
afterEach(async () => {
  if (server !== undefined) await stopServer(server)
  server = undefined
})
async function start (make?: () => HttpProtocol): Promise<{ port: number, protocols: HttpProtocol[] }> {
  const s = await startHttp(make)
  server = s.server
  return s
}

const GET = (path = '/', extra = ''): string => `GET ${path} HTTP/1.1\r\nHost: t\r\n${extra}\r\n`

describe.skipIf(skipWithout('curl'))('HTTP/1.1 example under curl', () => {
  let dir: string
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'wl-http-')) })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('answers GET / and reuses the connection (keep-alive, --http1.1)', async () => {
    const { port } = await start()
    const url = `http://127.0.0.1:${port}/`
    const r = await run('curl', ['-sv', '--http1.1', url, url, url])
    expect(r.code).toBe(0)
    expect(r.stdout.toString()).toBe('Hello World!'.repeat(3))
    expect(r.stderr.match(/Re-?using existing connection/g)).toHaveLength(2)
    expect(r.stderr).toMatch(/< Content-Length: 12/)
    expect(r.stderr).toMatch(/< Date: \w{3}, \d\d \w{3} \d{4} /)
  })

  it('echoes a 64 MiB upload to /echo, checked by SHA-256', async () => {
    const { port } = await start()
    const input = join(dir, 'up.bin')
    const output = join(dir, 'down.bin')
    writeFileSync(input, randomBytes(64 << 20))
    const r = await run('curl', ['-sS', '--http1.1', '--fail', '--data-binary', `@${input}`,
      '-H', 'Content-Type: application/octet-stream', '-o', output, '-w', '%{http_code} %{size_download}',
      `http://127.0.0.1:${port}/echo`], 30_000)
    expect(r.stderr).toBe('')
    expect(r.stdout.toString()).toBe(`200 ${64 << 20}`)
    expect(await sha256File(output)).toBe(await sha256File(input))
  }, 40_000)

  it('echoes a chunked upload as a chunked response', async () => {
    const { port } = await start()
    const input = join(dir, 'chunked.bin')
    const body = randomBytes(3 << 20)
    writeFileSync(input, body)
    const r = await run('curl', ['-sSv', '--http1.1', '-H', 'Transfer-Encoding: chunked', '--data-binary', `@${input}`,
      `http://127.0.0.1:${port}/echo`])
    expect(r.stderr).toMatch(/< Transfer-Encoding: chunked/)
    expect(sha256(r.stdout)).toBe(sha256(body))
  })

  it('answers malformed and oversized requests with 4xx and closes', async () => {
    const { port } = await start()
    const url = `http://127.0.0.1:${port}/`
    const code = async (...args: string[]): Promise<string> =>
      (await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', ...args, url])).stdout.toString()
    expect(await code('-H', 'Content-Length: abc', '-X', 'POST')).toBe('400')
    expect(await code('-H', 'Content-Length: 1', '-H', 'Content-Length: 2', '-X', 'POST')).toBe('400')
    expect(await code('-H', 'Transfer-Encoding: gzip', '-X', 'POST')).toBe('501')
    expect(await code('-H', `X-Big: ${'a'.repeat(20_000)}`)).toBe('431')
    expect(await code('-H', 'Expect: something')).toBe('417')
    expect(await code('-X', 'GE(T')).toBe('400')
    expect(await code('-X', 'DELETE')).toBe('405')
    expect(await code('--http1.0')).toBe('200')
    expect((await run('curl', ['-s', `http://127.0.0.1:${port}/missing`])).stdout.toString()).toBe('Not Found\n')
  })
})

describe('HTTP/1.1 example under raw bytes', () => {
  it('answers pipelined requests in order, over one connection', async () => {
    const { port } = await start()
    const raw = await exchange(port, [
      GET('/') + 'POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello' +
      'POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-T: 1\r\n\r\n' +
      GET('/missing') + 'HEAD / HTTP/1.1\r\nHost: t\r\n\r\n' + GET('/', 'Connection: close\r\n') + GET('/never'),
    ])
    const text = raw.toString('latin1')
    const heads = text.match(/HTTP\/1\.1 \d{3}(?= )/g)
    expect(heads).toEqual(['HTTP/1.1 200', 'HTTP/1.1 200', 'HTTP/1.1 200', 'HTTP/1.1 404', 'HTTP/1.1 200', 'HTTP/1.1 200'])
    expect(text).toContain('\r\n\r\nHello World!HTTP/1.1 200')
    expect(text).toContain('\r\n\r\nhelloHTTP/1.1 200')
    expect(text).toContain('Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\nHTTP/1.1 404')
    expect(text.endsWith('Connection: close\r\n\r\nHello World!')).toBe(true) // HEAD had no body, /never no answer
  })

  it('answers 1000 pipelined requests split at arbitrary points', async () => {
    const { port } = await start()
    const all = Buffer.from(Array.from({ length: 1000 }, (_, i) => GET(`/?i=${i}`)).join('') + GET('/', 'Connection: close\r\n'))
    const pieces: Buffer[] = []
    for (let at = 0, n = 1; at < all.length; at += n, n = (n * 7 + 3) % 97 + 1) pieces.push(all.subarray(at, at + n))
    const responses = splitResponses(await exchange(port, pieces))
    expect(responses).toHaveLength(1001)
    expect(responses.every((r) => r.status === 200 && r.body.toString() === 'Hello World!')).toBe(true)
  })

  it('finishes answering after the client half-closes', async () => {
    const { port } = await start()
    const responses = splitResponses(await exchange(port, [GET('/'), GET('/')], { end: true }))
    expect(responses.map((r) => r.status)).toEqual([200, 200])
  })

  it('answers garbage with 400 and closes, and keeps serving', async () => {
    const { port } = await start()
    const cases: Array<[string | Buffer, number]> = [
      ['garbage\r\n\r\n', 400],
      ['GET / HTTP/1.1\nHost: t\n\n', 400], // bare LF
      ['GET / HTTP/1.1\r\nHost: t\r\n folded\r\n\r\n', 400], // obs-fold
      ['GET / HTTP/1.1\r\nHost : t\r\n\r\n', 400], // space before the colon
      ['GET / HTTP/1.1\r\n\r\n', 400], // no Host
      ['POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n', 400],
      ['POST /missing HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 404], // then 400
      ['POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX', 200], // then abort: the echo had begun
      ['GET / HTTP/2.0\r\nHost: t\r\n\r\n', 505],
      ['GET / HTTP/1.1\r\nHost: t\r\nX: a\x01b\r\n\r\n', 400],
      [`GET / HTTP/1.1\r\nHost: t\r\nX: ${'y'.repeat(17_000)}`, 431], // never ends its head
      [Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, 0x0d, 0x0a, 0x0d, 0x0a]), 400], // a TLS hello
    ]
    for (const [input, status] of cases) {
      const text = (await exchange(port, [input])).toString('latin1')
      if (input.toString().includes('abX')) expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\n2\r\nab\r\n$/)
      else if (input.toString().includes('zz')) expect(text).toMatch(/^HTTP\/1\.1 404 [^]*HTTP\/1\.1 400 [^]*malformed chunk size\n$/)
      else expect(text.slice(0, 12), JSON.stringify(input.toString().slice(0, 60))).toBe(`HTTP/1.1 ${status}`)
    }
    // random bytes: a 4xx or nothing, never a crash
    for (let i = 0; i < 100; i++) {
      const text = (await exchange(port, [randomBytes(1 + (i * 37) % 300), '\r\n\r\n'])).toString('latin1')
      expect(text === '' || /^HTTP\/1\.1 4\d\d /.test(text)).toBe(true)
    }
    const ok = splitResponses(await exchange(port, [GET('/', 'Connection: close\r\n')]))
    expect(ok[0]!.body.toString()).toBe('Hello World!')
  })

  it('stops reading while a pipelining client does not read: buffers stay bounded', async () => {
    let maxWriteBuffer = 0
    let maxParsed = 0
    let maxRead = 0
    let onPaused!: () => void
    const paused = new Promise<void>((resolve) => { onPaused = resolve })
    class Watched extends HttpProtocol {
      override dataReceived (data: Uint8Array): void {
        maxRead = Math.max(maxRead, data.length)
        super.dataReceived(data)
        maxWriteBuffer = Math.max(maxWriteBuffer, this.transport.getWriteBufferSize())
        maxParsed = Math.max(maxParsed, this.parser.buffered)
      }

      override pauseWriting (): void { super.pauseWriting(); onPaused() }
    }
    const { port } = await start(() => new Watched(helloEcho))
    const N = 50_000
    const requests = Buffer.from(GET('/').repeat(N) + GET('/', 'Connection: close\r\n'))
    const socket = net.connect(port, '127.0.0.1')
    socket.pause() // a client that does not read
    socket.write(requests)
    await paused
    let got = 0
    let tail = ''
    const done = new Promise<void>((resolve, reject) => {
      socket.on('error', reject)
      socket.on('close', () => resolve())
    })
    socket.on('data', (d: Buffer) => {
      const text = tail + d.toString('latin1')
      got += text.split('Hello World!').length - 1
      tail = text.slice(-11)
    })
    socket.resume()
    await done
    expect(got).toBe(N + 1)
    expect(maxWriteBuffer).toBeLessThanOrEqual(65536 + 512) // the high-water mark and one response
    // unparsed: what one read brought and the unfinished request before it, no more (Node
    // reads 64 KiB at most, Bun up to 512 KiB)
    expect(maxRead).toBeLessThanOrEqual((onBun ? 512 : 64) * 1024)
    expect(maxParsed).toBeLessThanOrEqual(maxRead + GET('/').length)
  }, 30_000)
})

describe('HTTP/1.1 example: an upload faster than its echo is read', () => {
  it('stops reading the upload until the client reads: the echo stays within the write limits', async () => {
    let maxWriteBuffer = 0
    let onPaused!: () => void
    const paused = new Promise<void>((resolve) => { onPaused = resolve })
    class Watched extends HttpProtocol {
      override dataReceived (data: Uint8Array): void {
        super.dataReceived(data)
        maxWriteBuffer = Math.max(maxWriteBuffer, this.transport.getWriteBufferSize())
      }

      override pauseWriting (): void { super.pauseWriting(); onPaused() }
    }
    const { port } = await start(() => new Watched(helloEcho))
    const body = randomBytes(32 << 20)
    const socket = net.connect(port, '127.0.0.1')
    socket.pause() // uploads, but reads nothing back yet
    socket.write(`POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`)
    socket.write(body)
    await paused // the echo filled the server's transport: it stopped reading the upload
    const got: Buffer[] = []
    const done = new Promise<void>((resolve, reject) => {
      socket.on('error', reject)
      socket.on('close', () => resolve())
    })
    socket.on('data', (d: Buffer) => got.push(d))
    socket.resume()
    await done
    const [response] = splitResponses(Buffer.concat(got))
    expect(response!.status).toBe(200)
    expect(sha256(response!.body)).toBe(sha256(body))
    // the high-water mark plus the read that crossed it (Node reads 64 KiB at most, Bun 512 KiB)
    expect(maxWriteBuffer).toBeLessThanOrEqual(65536 + (onBun ? 512 : 64) * 1024)
  }, 30_000)
})

describe('pnpm --filter @wireline/examples http-server', () => {
  it('prints the port, serves, and exits 0 on SIGTERM', async () => {
    const entry = fileURLToPath(new URL('../dist/http-server.js', import.meta.url))
    const child = spawn(process.execPath, [entry, '0'], { stdio: ['ignore', 'pipe', 'pipe'] })
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000)
    try {
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout! }).once('line', resolve)
        child.once('exit', () => reject(new Error('exited early')))
      })
      const port = Number(/^Listening on http:\/\/127\.0\.0\.1:(\d+)\/$/.exec(line)?.[1])
      expect(port).toBeGreaterThan(0)
      // a keep-alive connection left open must not keep the server from exiting
      const idle = net.connect(port, '127.0.0.1')
      idle.on('error', () => {})
      const reply = splitResponses(await exchange(port, [GET('/', 'Connection: close\r\n')]))
      expect(reply[0]!.body.toString()).toBe('Hello World!')
      child.kill('SIGTERM')
      expect(await exited).toBe(0)
      idle.destroy()
    } finally {
      clearTimeout(killer)
      child.kill('SIGKILL')
    }
  })
})
