import { spawn } from 'node:child_process'
import type * as net from 'node:net'
import { describe, expect, it, onTestFinished } from 'vitest'
import { InvalidStateError } from '../errors.js'
import type { AnyProtocol } from '../protocol.js'
import { RecordingProtocol } from '../testing/recorder.js'
import { assertTrace } from '../testing/checker.js'
import { withTimeout } from '../testing/deferred.js'
import { StreamTransport } from './stream-transport.js'
import { READ_PIPE, WRITE_PIPE } from './transport-kinds.js'

function makeWritePipeTransport (socket: net.Socket, protocol: AnyProtocol): StreamTransport {
  return new StreamTransport({ socket, protocol, kind: WRITE_PIPE, extra: { pipe: socket } })
}

function makeReadPipeTransport (socket: net.Socket, protocol: AnyProtocol): StreamTransport {
  return new StreamTransport({ socket, protocol, kind: READ_PIPE, extra: { pipe: socket } })
}

const T = 10_000

function child (code: string) {
  const c = spawn(process.execPath, ['-e', code], { stdio: ['pipe', 'pipe', 'inherit'] })
  onTestFinished(() => { c.kill('SIGKILL') })
  return c
}

describe('pipe transports over a child process', () => {
  it('a write pipe and a read pipe: data through cat, writeEof closes the write pipe, EOF ends the read pipe', async () => {
    const c = child('process.stdin.pipe(process.stdout)')
    const w = new RecordingProtocol()
    const r = new RecordingProtocol({ eofReturn: true }) // ignored: a read pipe closes at EOF
    const wt = makeWritePipeTransport(c.stdin as net.Socket, w)
    const rt = makeReadPipeTransport(c.stdout as net.Socket, r)
    expect(wt.start()).toBe(null)
    expect(rt.start()).toBe(null)
    expect(wt.getExtraInfo('pipe')).toBe(c.stdin)
    expect(rt.getExtraInfo('pipe')).toBe(c.stdout)
    expect(wt.canWriteEof()).toBe(true)
    const data = Buffer.alloc(1024 * 1024, 'x')
    wt.write(data)
    wt.write('end')
    wt.writeEof()
    expect(wt.isClosing()).toBe(true)
    expect(() => wt.write('more')).toThrow(/after writeEof/)
    await withTimeout(w.lost, T)
    await withTimeout(r.lost, T)
    expect(r.bytes).toBe(data.length + 3)
    expect(r.received().subarray(-3).toString()).toBe('end')
    expect(r.trace()).toEqual(['connectionMade', 'dataReceived', 'eofReceived', 'connectionLost'])
    expect(w.trace()[0]).toBe('connectionMade')
    expect(w.lostWith).toBe(null)
    assertTrace(r.events, 'stream')
    assertTrace(w.events, 'stream')
  })

  it('a write pipe to a child that does not read pauses the protocol; a read pipe cannot write', async () => {
    const c = child('setTimeout(() => {}, 20000)')
    const w = new RecordingProtocol()
    const wt = makeWritePipeTransport(c.stdin as net.Socket, w)
    wt.start()
    while (w.count('pauseWriting') === 0) wt.write(Buffer.alloc(64 * 1024))
    expect(wt.getWriteBufferSize()).toBeGreaterThan(65536)
    wt.abort()
    expect(wt.getWriteBufferSize()).toBe(0)
    await withTimeout(w.lost, T)
    expect(w.trace()).toEqual(['connectionMade', 'pauseWriting', 'connectionLost'])
    const rt = makeReadPipeTransport(c.stdout as net.Socket, new RecordingProtocol())
    rt.start()
    expect(() => rt.write('x')).toThrow(InvalidStateError)
    expect(rt.canWriteEof()).toBe(false)
    rt.close()
  })

  it("a paused read pipe stays paused when Node resumes an exited child's stdout by itself", async () => {
    const c = child("process.stdout.write('last words')")
    const r = new RecordingProtocol({ onConnectionMade: (t) => t.pauseReading() })
    const rt = makeReadPipeTransport(c.stdout as net.Socket, r)
    rt.start()
    await withTimeout(new Promise((resolve) => c.once('exit', resolve)), T)
    // Node resumes the child's stdio streams on the tick after 'exit'; give it a bounded
    // chance to (wrongly) deliver while paused
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(r.trace()).toEqual(['connectionMade'])
    rt.resumeReading()
    await withTimeout(r.lost, T)
    expect(r.received().toString()).toBe('last words')
    expect(r.trace()).toEqual(['connectionMade', 'dataReceived', 'eofReceived', 'connectionLost'])
  })

  it('writing to a child that exited gives connectionLost(EPIPE) on the write pipe, never a crash', async () => {
    const c = child("require('fs').closeSync(0); setTimeout(() => {}, 20000)")
    const w = new RecordingProtocol()
    const wt = makeWritePipeTransport(c.stdin as net.Socket, w)
    wt.start()
    // keep writing until the pipe reports the reader is gone
    const big = Buffer.alloc(256 * 1024)
    for (let i = 0; i < 64 && !wt.isClosing(); i++) {
      wt.write(big)
      await new Promise((resolve) => setImmediate(resolve))
    }
    const err = await withTimeout(w.lost, T)
    expect(['EPIPE', 'ECONNRESET']).toContain((err as NodeJS.ErrnoException).code)
  })
})
