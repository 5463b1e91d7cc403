import { execFileSync } from 'node:child_process'
import { existsSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { RecordingProtocol, assertTrace, socketPair, tempDir, withTimeout } from '@wireline/core/testing'
import {
  connectAcceptedSocket, createUnixConnection, createUnixServer,
} from '../src/index.js'
import { acceptPath, cleanupServer, collect, ended, payload, sha256, watchExceptions, Echo } from './helpers.js'

const T = 10_000

function dir (): string {
  const d = tempDir('wireline-unix-')
  onTestFinished(d.cleanup)
  return d.path
}

for (const fast of [true, false]) {
  describe(`Unix sockets (accepted sockets read via ${fast ? 'onread' : "'data' events"})`, () => {
    it('connects, echoes 4 MiB, half-closes, with the extra info asyncio gives', async () => {
      acceptPath(fast)
      watchExceptions()
      const path = join(dir(), 's.sock')
      const serverSide: RecordingProtocol[] = []
      const server = cleanupServer(await createUnixServer(() => {
        const p = new RecordingProtocol({ eofReturn: true, onData: (d, t) => t.write(d), onEof: (t) => { t.write('!'); t.close() } })
        serverSide.push(p)
        return p
      }, path))
      expect(server.addresses()).toEqual([path])
      expect(statSync(path).isSocket()).toBe(true)
      const data = payload(4 * 1024 * 1024)
      const [t, p] = await createUnixConnection(() => new RecordingProtocol(), path)
      expect(t.getExtraInfo('peername')).toBe(path)
      expect(t.getExtraInfo('sockname')).toBe('')
      t.write(data)
      await withTimeout(p.untilBytes(data.length), T)
      t.writeEof()
      await withTimeout(p.lost, T)
      expect(sha256(p.received().subarray(0, data.length))).toBe(sha256(data))
      expect(p.received().subarray(data.length).toString()).toBe('!')
      const sp = serverSide[0]!
      await withTimeout(sp.lost, T)
      expect(sp.transport!.getExtraInfo('sockname')).toBe(path)
      expect(sp.transport!.getExtraInfo('peername')).toBe('')
      assertTrace(p.events, 'stream')
      assertTrace(sp.events, 'stream')
      expect(sp.trace()).toEqual(['connectionMade', 'dataReceived', 'eofReceived', 'connectionLost'])
    })
  })
}

describe('createUnixServer / createUnixConnection', () => {
  it('removes a stale socket file first', async () => {
    const path = join(dir(), 'stale.sock')
    // a process that listened there and exited without cleaning up leaves the file behind
    execFileSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => process.exit(0))`])
    expect(statSync(path).isSocket()).toBe(true)
    const server = cleanupServer(await createUnixServer(() => new Echo(), path))
    const [t, p] = await createUnixConnection(() => new RecordingProtocol(), path)
    t.write('fresh')
    await withTimeout(p.untilBytes(5), T)
    t.close()
    await withTimeout(p.lost, T)
    server.close()
    await withTimeout(server.waitClosed(), T)
    expect(existsSync(path)).toBe(false) // the server removes its socket file on close
  })

  it('refuses a path that holds another kind of file, leaving it alone', async () => {
    const path = join(dir(), 'regular')
    writeFileSync(path, 'keep me')
    const err = await createUnixServer(() => new Echo(), path).catch((e: unknown) => e)
    expect((err as NodeJS.ErrnoException).code).toBe('EADDRINUSE')
    expect((err as Error).message).toBe(`Address '${path}' is already in use`)
    expect(statSync(path).isFile()).toBe(true)
  })

  it('rejects ENOENT for a missing path and ECONNREFUSED for a socket nobody listens on, with no callback', async () => {
    const d = dir()
    let called = false
    const factory = (): RecordingProtocol => { called = true; return new RecordingProtocol() }
    const e1 = await createUnixConnection(factory, join(d, 'missing.sock')).catch((e: unknown) => e)
    expect((e1 as NodeJS.ErrnoException).code).toBe('ENOENT')
    const stale = join(d, 'stale.sock')
    execFileSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(stale)}, () => process.exit(0))`])
    const e2 = await createUnixConnection(factory, stale).catch((e: unknown) => e)
    expect((e2 as NodeJS.ErrnoException).code).toBe('ECONNREFUSED')
    expect(called).toBe(false)
  })

  it('validates its arguments', async () => {
    expect(() => createUnixConnection(() => new Echo(), '')).toThrow(TypeError)
    expect(() => createUnixConnection(() => new Echo(), 5 as never)).toThrow(TypeError)
    expect(() => createUnixServer(() => new Echo(), null as never)).toThrow(TypeError)
  })
})

describe('connectAcceptedSocket', () => {
  it('wraps a connected socket: data both ways, half-close, extra info', async () => {
    watchExceptions()
    const [a, b] = await socketPair()
    onTestFinished(() => { a.destroy(); b.destroy() })
    const [t, p] = await connectAcceptedSocket(() => new RecordingProtocol({ eofReturn: true }), a)
    expect(t.getExtraInfo('socket')).toBe(a)
    expect(t.getExtraInfo('peername')).toEqual([b.localAddress, b.localPort])
    expect(t.getExtraInfo('sockname')).toEqual([a.localAddress, a.localPort])
    const got = collect(b)
    b.end('from the peer')
    await withTimeout(p.eof, T)
    // eofReceived returned true: still open for writing, although the socket was made without allowHalfOpen
    t.write('answer')
    t.close()
    expect((await withTimeout(got, T)).toString()).toBe('answer')
    await withTimeout(p.lost, T)
    expect(p.received().toString()).toBe('from the peer')
    expect(p.trace()).toEqual(['connectionMade', 'dataReceived', 'eofReceived', 'connectionLost'])
  })

  it('rejects what is not a connected socket', async () => {
    expect(() => connectAcceptedSocket(() => new Echo(), {} as never)).toThrow(TypeError)
    const [a, b] = await socketPair()
    a.destroy()
    b.destroy()
    await withTimeout(ended(a), T)
    expect(() => connectAcceptedSocket(() => new Echo(), a)).toThrow(expect.objectContaining({ name: 'InvalidStateError', code: 'WL_ERR_INVALID_STATE' }))
  })
})
