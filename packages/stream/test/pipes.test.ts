import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import * as fs from 'node:fs'
import type * as net from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it, onTestFinished } from 'vitest'
import { RecordingProtocol, assertTrace, tempDir, withTimeout } from '@wireline/core/testing'
import { connectReadPipe, connectWritePipe } from '../src/index.js'
import { watchExceptions } from './helpers.js'

// Bun (see the guide's Bun section): where it differs from Node, the test says so beside the check
const onBun = 'Bun' in globalThis

const T = 15_000
const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))

function fifo (): string {
  const d = tempDir('wireline-fifo-')
  onTestFinished(d.cleanup)
  const path = join(d.path, 'fifo')
  execFileSync('mkfifo', [path])
  return path
}

function run (args: string[]): ChildProcess {
  const c = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] })
  onTestFinished(() => { c.kill('SIGKILL') })
  return c
}

/** Lines the child prints, one at a time. */
function lines (c: ChildProcess): () => Promise<string> {
  let buf = ''
  const queue: string[] = []
  const waiters: Array<(l: string) => void> = []
  c.stdout!.on('data', (d: Buffer) => {
    buf += d.toString()
    let i
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i)
      buf = buf.slice(i + 1)
      const w = waiters.shift()
      if (w !== undefined) w(line)
      else queue.push(line)
    }
  })
  return async () => queue.shift() ?? await new Promise<string>((resolve) => waiters.push(resolve))
}

function pattern (n: number): Buffer {
  const b = Buffer.alloc(n)
  for (let i = 0; i < n; i++) b[i] = (i % 65536) % 251
  return b
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

/** Opens the FIFO's write end once the reader child said it is ready. */
function openWriteEnd (path: string): number {
  return fs.openSync(path, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK)
}

describe('connectReadPipe', () => {
  // Node only: Bun's net.Socket over a FIFO's descriptor never delivers
  it.skipIf(onBun)('reads a FIFO to its EOF: eofReceived, then connectionLost(null) whatever it returned', async () => {
    watchExceptions()
    const path = fifo()
    const fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK)
    const [t, p] = await connectReadPipe(() => new RecordingProtocol({ eofReturn: true }), fd)
    expect(t.getExtraInfo('pipe')).toBeDefined()
    expect(t.isReading()).toBe(true)
    run([fixture('fifo-writer.cjs'), path, String(3 * 1024 * 1024 + 7)])
    await withTimeout(p.lost, T)
    expect(p.bytes).toBe(3 * 1024 * 1024 + 7)
    expect(sha(p.received())).toBe(sha(pattern(3 * 1024 * 1024 + 7)))
    expect(p.trace()).toEqual(['connectionMade', 'dataReceived', 'eofReceived', 'connectionLost'])
    expect(p.lostWith).toBe(null)
    assertTrace(p.events, 'stream')
  })

  it("reads a child's stdout; pauseReading holds delivery (backpressure) until resumed", async () => {
    const c = run(['-e', "process.stdout.write(Buffer.alloc(2 * 1024 * 1024, 'z'))"])
    const [t, p] = await connectReadPipe(() => new RecordingProtocol({ onConnectionMade: (tr) => tr.pauseReading() }), c.stdout as net.Socket)
    const exited = new Promise((resolve) => c.once('exit', resolve))
    // proving an absence: the child's 2 MiB cannot all go into the pipe while we do not read,
    // so it is still blocked in its write, and nothing was delivered
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(p.bytes).toBe(0)
    expect(c.exitCode).toBe(null)
    t.resumeReading()
    await withTimeout(p.lost, T)
    await withTimeout(exited, T)
    expect(p.bytes).toBe(2 * 1024 * 1024)
  })

  it('a throwing dataReceived is fatal on a read pipe too: reported, connectionLost(that error)', async () => {
    const ex = watchExceptions()
    const c = run(['-e', "process.stdout.write('x'.repeat(1000))"])
    const boom = new Error('pipe boom')
    const [, p] = await connectReadPipe(() => new RecordingProtocol({ throwIn: { callback: 'dataReceived', error: boom } }), c.stdout as net.Socket)
    expect(await withTimeout(p.lost, T)).toBe(boom)
    expect(ex.take()).toHaveLength(1)
  })
})

describe('connectWritePipe', () => {
  // Node only: Bun's net.Socket over a FIFO's descriptor never delivers
  it.skipIf(onBun)('writes into a FIFO; writeEof closes the pipe after a flush; the reader gets every byte', async () => {
    watchExceptions()
    const path = fifo()
    const reader = run([fixture('fifo-reader.cjs'), path])
    const next = lines(reader)
    expect(await withTimeout(next(), T)).toBe('ready')
    const [t, p] = await connectWritePipe(() => new RecordingProtocol(), openWriteEnd(path))
    expect(t.canWriteEof()).toBe(true)
    const data = pattern(4 * 1024 * 1024)
    t.write(data)
    t.writeEof()
    expect(t.isClosing()).toBe(true)
    expect(() => t.write('x')).toThrow(/after writeEof/)
    await withTimeout(p.lost, T)
    expect(p.lostWith).toBe(null)
    expect(JSON.parse(await withTimeout(next(), T))).toEqual({ n: data.length, sha: sha(data) })
    assertTrace(p.events, 'stream')
  })

  // Node only: Bun's net.Socket over a FIFO's descriptor never delivers
  it.skipIf(onBun)('flow control against a reader that stops: pause over high, resume when it reads again', async () => {
    const path = fifo()
    const reader = run([fixture('fifo-reader.cjs'), path, 'wait'])
    const next = lines(reader)
    expect(await withTimeout(next(), T)).toBe('ready')
    const [t, p] = await connectWritePipe(() => new RecordingProtocol(), openWriteEnd(path))
    let total = 0
    while (p.count('pauseWriting') === 0) {
      t.write(Buffer.alloc(32 * 1024, 1))
      total += 32 * 1024
      if (total > 64 * 1024 * 1024) throw new Error('never paused')
    }
    expect(t.getWriteBufferSize()).toBeGreaterThan(65536)
    reader.stdin!.write('read\n')
    await withTimeout(p.until(() => p.count('resumeWriting') === 1), T)
    expect(t.getWriteBufferSize()).toBeLessThanOrEqual(16384)
    t.close()
    await withTimeout(p.lost, T)
    expect(JSON.parse(await withTimeout(next(), T)).n).toBe(total)
    expect(p.trace()).toEqual(['connectionMade', 'pauseWriting', 'resumeWriting', 'connectionLost'])
  })

  it('a reader that goes away while data is buffered ends the write pipe with EPIPE', async () => {
    watchExceptions()
    const path = fifo()
    const reader = run([fixture('fifo-reader.cjs'), path, 'wait'])
    const next = lines(reader)
    expect(await withTimeout(next(), T)).toBe('ready')
    const [t, p] = await connectWritePipe(() => new RecordingProtocol(), openWriteEnd(path))
    while (p.count('pauseWriting') === 0) t.write(Buffer.alloc(32 * 1024, 2))
    reader.stdin!.write('exit\n')
    const err = await withTimeout(p.lost, T)
    // Bun reports the reader's going away on a socket pair as EAGAIN
    expect((err as NodeJS.ErrnoException).code).toBe(onBun ? 'EAGAIN' : 'EPIPE')
    expect(t.isClosing()).toBe(true)
  })

  it("a child's stdin: the reader going away with nothing buffered ends it with connectionLost(null)", async () => {
    const c = run(['-e', 'process.stdin.once("data", () => process.exit(0))'])
    const [t, p] = await connectWritePipe(() => new RecordingProtocol(), c.stdin as net.Socket)
    t.write('bye')
    await withTimeout(p.lost, T)
    expect(p.lostWith).toBe(null)
    expect(p.trace()).toEqual(['connectionMade', 'connectionLost'])
  })
})

describe('pipe arguments', () => {
  it('refuses a regular file, as asyncio does, and what is not a pipe at all', async () => {
    const d = tempDir()
    onTestFinished(d.cleanup)
    const file = join(d.path, 'regular.txt')
    fs.writeFileSync(file, 'data')
    const fd = fs.openSync(file, 'r')
    onTestFinished(() => fs.closeSync(fd))
    let called = false
    const factory = (): RecordingProtocol => { called = true; return new RecordingProtocol() }
    for (const connect of [connectReadPipe, connectWritePipe]) {
      let err: unknown
      try { await connect(factory, fd) } catch (e) { err = e }
      expect((err as Error).message).toBe('Pipe transport is for pipes/sockets only.')
      expect((err as NodeJS.ErrnoException).code).toBe('ERR_INVALID_ARG_VALUE')
    }
    expect(called).toBe(false)
    expect(() => connectReadPipe(factory, 'stdin' as never)).toThrow(TypeError)
    expect(() => connectWritePipe(factory, -1)).toThrow(TypeError)
  })
})
