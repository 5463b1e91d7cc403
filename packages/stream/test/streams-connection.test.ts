import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { Deferred, clientTls, serverTls, tempDir, withTimeout } from '@wireline/core/testing'
import {
  IncompleteReadError, StreamReader, StreamWriter, openConnection, openUnixConnection, startServer, startUnixServer,
} from '../src/index.js'
import { cleanupServer, closedPort, collect, portOf, rawClient, rawServer, watchExceptions } from './helpers.js'

const T = 10_000
const text = (b: Uint8Array): string => Buffer.from(b).toString()

/** The echo of the asyncio streams docs, until EOF: read(100), write, drain. */
async function echo (reader: StreamReader, writer: StreamWriter): Promise<void> {
  for (;;) {
    const data = await reader.read(100)
    if (data.length === 0) break
    writer.write(data)
    await writer.drain()
  }
  writer.close()
  await writer.waitClosed()
}

/** Closes the writer when the test ends. */
function cleanupWriter (writer: StreamWriter): StreamWriter {
  onTestFinished(() => { writer.transport.abort() })
  return writer
}

describe('openConnection and startServer', () => {
  it('an echo round trip: write, writeEof, read to EOF; both sides end cleanly', async () => {
    watchExceptions()
    const server = cleanupServer(await startServer(echo, '127.0.0.1', 0))
    const [reader, writer] = await openConnection('127.0.0.1', portOf(server))
    expect(reader).toBeInstanceOf(StreamReader)
    expect(writer).toBeInstanceOf(StreamWriter)
    expect(writer.getExtraInfo('peername')).toEqual(['127.0.0.1', portOf(server)])
    writer.write('Hello ')
    writer.writelines([Buffer.from('World'), '!'])
    expect(writer.canWriteEof()).toBe(true)
    writer.writeEof()
    expect(text(await withTimeout(reader.read(), T))).toBe('Hello World!')
    expect(reader.atEof()).toBe(true)
    await withTimeout(writer.waitClosed(), T)
    expect(writer.isClosing()).toBe(true)
  })

  it("the peer's EOF ends reading but the connection stays open for writing", async () => {
    const peer = await rawServer()
    const [reader, writer] = cleanupPair(await openConnection('127.0.0.1', peer.port))
    const s = await peer.next()
    const got = collect(s)
    s.end('question\n')
    expect(text(await withTimeout(reader.readline(), T))).toBe('question\n')
    expect(text(await withTimeout(reader.readline(), T))).toBe('')
    expect(reader.atEof()).toBe(true)
    expect(writer.isClosing()).toBe(false)
    writer.write('answer after your EOF')
    writer.close()
    await withTimeout(writer.waitClosed(), T)
    expect((await withTimeout(got, T)).toString()).toBe('answer after your EOF')
  })

  it('readexactly and readuntil over a real connection; IncompleteReadError at the end', async () => {
    const peer = await rawServer()
    const [reader] = cleanupPair(await openConnection('127.0.0.1', peer.port))
    const s = await peer.next()
    s.write('HEAD')
    s.write('ER\r\n\r\nbody12')
    s.end('3')
    expect(text(await withTimeout(reader.readuntil('\r\n\r\n'), T))).toBe('HEADER\r\n\r\n')
    expect(text(await withTimeout(reader.readexactly(4), T))).toBe('body')
    const err = await withTimeout(reader.readexactly(10), T).catch((e: unknown) => e) as IncompleteReadError
    expect(err).toBeInstanceOf(IncompleteReadError)
    expect(text(err.partial)).toBe('123')
  })

  it('a connection that cannot be made rejects with Node\'s error', async () => {
    const port = await closedPort()
    await expect(openConnection('127.0.0.1', port)).rejects.toMatchObject({ code: 'ECONNREFUSED' })
  })

  it('a reset rejects the pending read and every later read with that error; drain too', async () => {
    const peer = await rawServer()
    const [reader, writer] = cleanupPair(await openConnection('127.0.0.1', peer.port))
    const s = await peer.next()
    const pending = reader.read(10)
    s.resetAndDestroy()
    const err = await withTimeout(pending, T).catch((e: unknown) => e) as NodeJS.ErrnoException
    expect(err.code).toBe('ECONNRESET')
    await expect(reader.readline()).rejects.toBe(err)
    await expect(reader.readexactly(1)).rejects.toBe(err)
    await expect(writer.drain()).rejects.toBe(err)
    await expect(writer.waitClosed()).rejects.toBe(err)
    expect(reader.exception()).toBe(err)
  })

  it('drain resolves at once unless writing is paused, then once the transport resumed writing', async () => {
    const peer = await rawServer({ pauseOnConnect: true })
    const [, writer] = cleanupPair(await openConnection('127.0.0.1', peer.port))
    const s = await peer.next()
    let settled = false
    await withTimeout(writer.drain(), T) // nothing buffered: at once
    while (writer.transport.getWriteBufferSize() <= 65536) writer.write(Buffer.alloc(64 * 1024))
    const drained = writer.drain().then(() => { settled = true })
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve))
    expect(settled).toBe(false) // the peer reads nothing: still over the high-water mark
    const got = collect(s)
    s.resume()
    await withTimeout(drained, T)
    expect(writer.transport.getWriteBufferSize()).toBeLessThanOrEqual(16384) // resumed at the low mark
    writer.close()
    expect((await withTimeout(got, T)).length).toBeGreaterThan(65536)
  })

  it('a connection lost while drain() waits rejects it with the connection error', async () => {
    const peer = await rawServer({ pauseOnConnect: true })
    const [, writer] = cleanupPair(await openConnection('127.0.0.1', peer.port))
    const s = await peer.next()
    while (writer.transport.getWriteBufferSize() <= 65536) writer.write(Buffer.alloc(64 * 1024))
    const drained = writer.drain()
    s.resetAndDestroy()
    await expect(withTimeout(drained, T)).rejects.toMatchObject({ code: expect.stringMatching(/^(ECONNRESET|EPIPE)$/) })
  })

  it('drain after a clean close rejects with ECONNRESET ("Connection lost"), as asyncio', async () => {
    const peer = await rawServer()
    const [, writer] = cleanupPair(await openConnection('127.0.0.1', peer.port))
    writer.close()
    await withTimeout(writer.waitClosed(), T)
    await expect(writer.drain()).rejects.toMatchObject({ code: 'ECONNRESET', message: 'Connection lost' })
  })

  it('checks arguments at the call, before any I/O', () => {
    expect(() => openConnection('127.0.0.1', 1, { limit: 0 })).toThrow(RangeError)
    expect(() => openConnection('127.0.0.1', 1, { limti: 5 } as never)).toThrow(/limti/)
    expect(() => openConnection('127.0.0.1', -1)).toThrow(RangeError)
    expect(() => startServer(null as never)).toThrow(TypeError)
    expect(() => startServer(class Handler {} as never)).toThrow(/class Handler/)
    expect(() => startServer(() => {}, '127.0.0.1', 0, { reuse_port: true } as never)).toThrow(/reuse_port/)
    expect(() => startUnixServer(() => {}, '/tmp/x', { reusePort: true } as never)).toThrow(/reusePort/)
    expect(() => openUnixConnection('/tmp/x', { limit: 1.5 })).toThrow(RangeError)
  })
})

describe('clientConnected', () => {
  for (const how of ['throws', 'rejects'] as const) {
    it(`a callback that ${how} is reported and its connection closed; the server goes on`, async () => {
      const reports = watchExceptions()
      let calls = 0
      const boom = new Error(`boom ${how}`)
      const server = cleanupServer(await startServer((reader, writer) => {
        calls++
        if (calls === 1) {
          writer.write('partial answer')
          if (how === 'throws') throw boom
          return Promise.reject(boom)
        }
        return echo(reader, writer)
      }, '127.0.0.1', 0))
      const c1 = await rawClient(portOf(server))
      expect((await withTimeout(collect(c1), T)).toString()).toBe('partial answer') // closed after a flush
      const [ctx] = reports.take()
      expect(ctx).toMatchObject({ message: 'Unhandled exception in clientConnected', exception: boom })
      expect(ctx!.transport).toBeDefined()
      // the next connection is served
      const [reader, writer] = cleanupPair(await openConnection('127.0.0.1', portOf(server)))
      writer.write('still here')
      writer.writeEof()
      expect(text(await withTimeout(reader.read(), T))).toBe('still here')
    })
  }

  it('each connection gets its own reader and writer; the limit option applies', async () => {
    const seen = new Deferred<Error>()
    const server = cleanupServer(await startServer(async (reader, writer) => {
      try {
        await reader.readline()
      } catch (err) {
        seen.resolve(err as Error)
      }
      writer.close()
    }, '127.0.0.1', 0, { limit: 8 }))
    const [, writer] = cleanupPair(await openConnection('127.0.0.1', portOf(server)))
    writer.write('a line longer than eight bytes\n')
    expect(await withTimeout(seen.promise, T)).toBeInstanceOf(RangeError)
  })
})

describe('Unix sockets', () => {
  it('openUnixConnection / startUnixServer echo', async () => {
    const dir = tempDir()
    onTestFinished(dir.cleanup)
    const path = join(dir.path, 's.sock')
    const server = cleanupServer(await startUnixServer(echo, path))
    expect(server.addresses()).toEqual([path])
    const [reader, writer] = cleanupPair(await openUnixConnection(path))
    writer.write('over a unix socket')
    writer.writeEof()
    expect(text(await withTimeout(reader.read(), T))).toBe('over a unix socket')
  })
})

describe('TLS', () => {
  it('ssl on both ends: echo; the peer EOF closes (TLS cannot half-close)', async () => {
    watchExceptions()
    const server = cleanupServer(await startServer(async (reader, writer) => {
      const line = await reader.readline()
      writer.write(line)
      await writer.drain()
      writer.close()
    }, '127.0.0.1', 0, { ssl: serverTls() }))
    const [reader, writer] = cleanupPair(await openConnection('127.0.0.1', portOf(server), { ssl: clientTls(), serverHostname: 'localhost' }))
    expect(writer.canWriteEof()).toBe(false)
    expect(writer.getExtraInfo('cipher')).toBeTruthy()
    writer.write('secret\n')
    expect(text(await withTimeout(reader.read(), T))).toBe('secret\n')
    await withTimeout(writer.waitClosed(), T)
  })

  it('writer.startTls upgrades both sides, client and server as the connection was made', async () => {
    watchExceptions()
    const serverDone = new Deferred<string>()
    const server = cleanupServer(await startServer(async (reader, writer) => {
      expect(text(await reader.readline())).toBe('STARTTLS\n')
      writer.write('GO\n')
      await writer.startTls(serverTls())
      expect(writer.getExtraInfo('ssl_object')).toBeDefined()
      const line = await reader.readline()
      serverDone.resolve(text(line))
      writer.write('secure ' + text(line))
      await writer.drain()
      writer.close()
    }, '127.0.0.1', 0))
    const [reader, writer] = cleanupPair(await openConnection('127.0.0.1', portOf(server)))
    writer.write('STARTTLS\n')
    expect(text(await withTimeout(reader.readline(), T))).toBe('GO\n')
    const plain = writer.transport
    await withTimeout(writer.startTls(clientTls(), { serverHostname: 'localhost' }), T)
    expect(writer.transport).not.toBe(plain)
    expect(writer.getExtraInfo('cipher')).toBeTruthy()
    writer.write('hello\n')
    expect(await withTimeout(serverDone.promise, T)).toBe('hello\n')
    expect(text(await withTimeout(reader.read(), T))).toBe('secure hello\n')
    expect(() => writer.startTls(null as never)).toThrow(TypeError)
    expect(() => writer.startTls(true, { serverSide: true } as never)).toThrow(/serverSide/)
  })
})

/** Aborts the pair's transport when the test ends. */
function cleanupPair (pair: [StreamReader, StreamWriter]): [StreamReader, StreamWriter] {
  cleanupWriter(pair[1])
  return pair
}
