import { UnsupportedError, WriteAfterEofError } from '../errors.js'
import type { ExceptionContext } from '../exception-handler.js'
import type { AnyProtocol } from '../protocol.js'
import type { Transport } from '../transport.js'
import { assertTrace } from './checker.js'
import type { CompliancePeer } from './compliance-peer.js'
import { withTimeout } from './deferred.js'
import { captureExceptions } from './helpers.js'
import { RecordingBufferedProtocol, RecordingProtocol } from './recorder.js'
import type { BufferedRecorderOptions, StreamRecorderOptions } from './recorder.js'

/**
 * The transport compliance suite: the generic contract of SPEC.md that every byte-stream
 * transport kind must keep (in the manner of js-libp2p's interface compliance tests and
 * uvloop's shared `_TestTCP`). A kind runs it by giving a way to make a connected pair; the
 * suite registers its tests with the runner's `describe` / `it` (vitest, node:test, ...), so
 * the kit depends on no test runner.
 *
 * Every test checks the callback trace against the family's state machine, fails on any
 * exception-handler report it did not cause on purpose, and ends with the connection lost.
 */

/** The test runner's registration functions. */
export interface ComplianceRunner {
  /** Registers a group of tests (vitest's or node:test's `describe`). */
  describe(name: string, body: () => void): void
  /** Registers one test (vitest's or node:test's `it`). */
  it(name: string, body: () => Promise<void>): void
}

/** A connected transport under test and the far end of its connection. */
export interface CompliancePair {
  /** The transport, after `connectionMade` (a read- or write-only kind lacks the other side's methods' effect). */
  transport: Transport
  peer: CompliancePeer
  /** Releases what making the pair needed (a server, a child process), after the connection is lost. */
  cleanup?(): void | Promise<void>
}

/** What a transport kind is, and how to make one. */
export interface TransportComplianceOptions {
  /** Shown in the suite's name: `TCP`, `TLS after startTls`, `read pipe`, ... */
  name: string
  /** Makes a connected pair whose transport drives `protocol` (its `connectionMade` has run). */
  connect(protocol: AnyProtocol): Promise<CompliancePair>
  /** The transport receives (it has a read side). */
  reads: boolean
  /** The transport sends (it has a write side). */
  writes: boolean
  /** What `writeEof()` does: half-close (TCP, Unix), nothing it can (TLS), or close (a write pipe). */
  writeEof: 'half-close' | 'unsupported' | 'closes'
  /** The peer's EOF closes the transport whatever `eofReceived` returns (TLS, read pipes). */
  eofAlwaysCloses: boolean
  /** Protocol kinds to run the read tests with (default: only `stream`). */
  protocols?: Array<'stream' | 'buffered'>
  /** Extra-info keys this kind must answer, before and after the close (default `['socket']`). */
  extraInfo?: string[]
  /** Milliseconds each wait may take (default 10 000). */
  timeout?: number
}

type Recorder = RecordingProtocol | RecordingBufferedProtocol
type RecorderOptions = StreamRecorderOptions & BufferedRecorderOptions

const NOT_BYTES = [42, null, undefined, {}, [1, 2]]

/** Registers the compliance suite for one transport kind. */
export function transportCompliance (runner: ComplianceRunner, options: TransportComplianceOptions): void {
  const T = options.timeout ?? 10_000
  const protocols = options.protocols ?? ['stream']
  const { describe, it } = runner

  /** Runs `body` on a fresh pair; cleans up, checks the trace and the exception handler's silence. */
  async function session (
    family: 'stream' | 'buffered', recorderOptions: RecorderOptions,
    body: (pair: CompliancePair, rec: Recorder, reports: ExceptionContext[]) => Promise<void>,
  ): Promise<void> {
    const capture = captureExceptions()
    const rec = family === 'buffered' ? new RecordingBufferedProtocol(recorderOptions) : new RecordingProtocol(recorderOptions)
    let pair: CompliancePair | null = null
    try {
      pair = await withTimeout(options.connect(rec), T, `${options.name}: connect`)
      await body(pair, rec, capture.contexts)
    } finally {
      if (pair !== null) {
        pair.transport.abort()
        pair.peer.destroy()
        await withTimeout(rec.lost, T, `${options.name}: connectionLost after the test`)
        await pair.cleanup?.()
      }
      capture.restore()
    }
    assertTrace(rec.events, family)
    if (capture.contexts.length > 0) {
      throw new Error(`unexpected exception-handler reports: ${capture.contexts.map((c) => c.message).join('; ')}`)
    }
  }

  const stream = (body: (pair: CompliancePair, rec: Recorder, reports: ExceptionContext[]) => Promise<void>, o: RecorderOptions = {}) =>
    () => session('stream', o, body)

  describe(`transport compliance: ${options.name}`, () => {
    it('connectionMade once; close() is idempotent, isClosing() true at once, connectionLost(null) later and once', stream(async ({ transport }, rec) => {
      if (rec.count('connectionMade') !== 1) throw new Error('connectionMade did not run once')
      if (transport.isClosing()) throw new Error('a new transport is closing')
      transport.close()
      if (rec.lostWith !== undefined) throw new Error('connectionLost was called synchronously from close()')
      if (!transport.isClosing()) throw new Error('isClosing() is false after close()')
      transport.close()
      const exc = await withTimeout(rec.lost, T, 'connectionLost')
      if (exc !== null) throw new Error(`connectionLost(${String(exc)}) after close(), expected null`)
      if (rec.count('connectionLost') !== 1) throw new Error('connectionLost more than once')
      if (transport.getProtocol() !== null) throw new Error('getProtocol() is not null after connectionLost')
    }))

    it('abort(): connectionLost(null), never synchronously; close() after it changes nothing', stream(async ({ transport }, rec) => {
      transport.abort()
      if (rec.lostWith !== undefined) throw new Error('connectionLost was called synchronously from abort()')
      transport.close()
      transport.abort()
      if ((await withTimeout(rec.lost, T, 'connectionLost')) !== null) throw new Error('abort() did not end with connectionLost(null)')
    }))

    it('extra info is captured when the connection is made and still answers after it is lost; unknown keys give the default', stream(async ({ transport }, rec) => {
      const keys = options.extraInfo ?? ['socket']
      const before = keys.map((k) => transport.getExtraInfo(k))
      keys.forEach((k, i) => { if (before[i] === undefined) throw new Error(`getExtraInfo('${k}') is undefined`) })
      transport.close()
      await withTimeout(rec.lost, T, 'connectionLost')
      keys.forEach((k, i) => { if (transport.getExtraInfo(k) !== before[i]) throw new Error(`getExtraInfo('${k}') changed after the close`) })
      if (transport.getExtraInfo('no such key', 42) !== 42) throw new Error('an unknown key did not give the default')
      if (transport.getExtraInfo('no such key') !== undefined) throw new Error('an unknown key without a default is not undefined')
    }))

    if (options.writes) writeTests()
    else {
      it('has no write side: write() throws', stream(async ({ transport }) => {
        expectThrow(() => transport.write('x'), 'write() on a read-only transport')
      }))
    }
    if (options.reads) for (const family of protocols) readTests(family)
    else {
      it('has no read side: pauseReading() and resumeReading() throw UnsupportedError', stream(async ({ transport }) => {
        expectThrow(() => transport.pauseReading(), 'pauseReading()', UnsupportedError)
        expectThrow(() => transport.resumeReading(), 'resumeReading()', UnsupportedError)
        if (transport.isReading()) throw new Error('a write-only transport says it is reading')
      }))
    }
  })

  function writeTests (): void {
    it('every byte written before close() reaches the peer in order (write, writelines, strings and views); then the peer sees the end', stream(async ({ transport, peer }, rec) => {
      const big = Buffer.alloc(300_000, 7)
      transport.write('head:')
      transport.write(new Uint8Array([1, 2, 3]))
      transport.writelines([big, new DataView(new Uint8Array([9]).buffer), 'tail'])
      transport.write(new Uint8Array(0))
      transport.close()
      const got = await withTimeout(peer.ended!(), T, 'the peer seeing the end')
      const want = Buffer.concat([Buffer.from('head:'), Buffer.from([1, 2, 3]), big, Buffer.from([9]), Buffer.from('tail')])
      if (!got.equals(want)) throw new Error(`the peer got ${got.length} bytes, expected ${want.length} in order`)
      if ((await withTimeout(rec.lost, T, 'connectionLost')) !== null) throw new Error('close() did not end with connectionLost(null)')
    }))

    it('write() of anything but bytes or a string throws TypeError; after close() writes are dropped silently', stream(async ({ transport }, rec) => {
      for (const bad of NOT_BYTES) expectThrow(() => transport.write(bad as never), `write(${String(bad)})`, TypeError)
      expectThrow(() => transport.writelines(['ok', 5] as never), 'writelines with a number', TypeError)
      transport.close()
      transport.write('dropped')
      transport.writelines(['dropped'])
      await withTimeout(rec.lost, T, 'connectionLost')
      transport.write('after the loss')
      if (transport.getWriteBufferSize() !== 0) throw new Error('the write buffer is not empty after the loss')
    }))

    it('write limits: defaults [16384, 65536], one given derives the other, bad limits throw RangeError and keep the old ones', stream(async ({ transport }) => {
      expectLimits(transport, [16384, 65536])
      transport.setWriteBufferLimits({ high: 1000 })
      expectLimits(transport, [250, 1000])
      transport.setWriteBufferLimits({ low: 100 })
      expectLimits(transport, [100, 400])
      expectThrow(() => transport.setWriteBufferLimits({ high: 10, low: 20 }), 'low > high', RangeError)
      expectThrow(() => transport.setWriteBufferLimits({ high: -1 }), 'a negative high', RangeError)
      expectLimits(transport, [100, 400])
      transport.setWriteBufferLimits({ high: null, low: undefined })
      expectLimits(transport, [16384, 65536])
    }))

    it('pauseWriting comes synchronously inside the write that crosses the high mark, resumeWriting once drained to the low mark', stream(async ({ transport, peer }, rec) => {
      let sizeAtResume = -1
      rec.hook({ onResumeWriting: () => { sizeAtResume = transport.getWriteBufferSize() } })
      peer.pause!()
      transport.setWriteBufferLimits({ high: 64 * 1024, low: 16 * 1024 })
      const chunk = Buffer.alloc(64 * 1024, 1)
      let writes = 0
      while (rec.count('pauseWriting') === 0 && writes < 512) {
        transport.write(chunk)
        writes++
      }
      if (rec.count('pauseWriting') !== 1) throw new Error(`no pauseWriting after ${writes} writes of 64 KiB to a peer that does not read`)
      if (!(transport.getWriteBufferSize() > 64 * 1024)) throw new Error(`paused at a buffer of ${transport.getWriteBufferSize()} bytes, not over the high mark`)
      peer.resume!()
      await withTimeout(rec.until(() => rec.count('resumeWriting') === 1), T, 'resumeWriting')
      if (sizeAtResume > 16 * 1024) throw new Error(`resumeWriting at a buffer of ${sizeAtResume} bytes, over the low mark`)
      transport.close()
      const got = await withTimeout(peer.ended!(), T, 'the peer seeing the end')
      if (got.length !== writes * chunk.length) throw new Error(`the peer got ${got.length} of ${writes * chunk.length} bytes`)
    }))

    it('setWriteBufferLimits() pauses at once when the buffer is over the new high mark, and never resumes by itself', stream(async ({ transport, peer }, rec) => {
      peer.pause!()
      transport.setWriteBufferLimits({ high: 1 << 30 })
      while (transport.getWriteBufferSize() === 0) transport.write(Buffer.alloc(256 * 1024))
      if (rec.count('pauseWriting') !== 0) throw new Error('paused below a 1 GiB high mark')
      transport.setWriteBufferLimits({ high: 1, low: 0 })
      if (rec.count('pauseWriting') !== 1) throw new Error('setWriteBufferLimits() did not pause synchronously')
      transport.setWriteBufferLimits({ high: 1 << 30 })
      if (rec.count('resumeWriting') !== 0) throw new Error('setWriteBufferLimits() resumed the protocol')
    }))

    it('abort() while paused for writing: connectionLost(null) without resumeWriting, and the buffer is dropped', stream(async ({ transport, peer }, rec) => {
      peer.pause!()
      transport.setWriteBufferLimits({ high: 0 })
      while (rec.count('pauseWriting') === 0) transport.write(Buffer.alloc(256 * 1024))
      transport.abort()
      if (transport.getWriteBufferSize() !== 0) throw new Error('abort() kept the write buffer')
      await withTimeout(rec.lost, T, 'connectionLost')
      if (rec.count('resumeWriting') !== 0) throw new Error('resumeWriting after an abort')
    }))

    it(`writeEof(): ${options.writeEof}`, stream(async ({ transport, peer }, rec) => {
      if (options.writeEof === 'unsupported') {
        if (transport.canWriteEof()) throw new Error('canWriteEof() is true')
        expectThrow(() => transport.writeEof(), 'writeEof()', UnsupportedError)
        return
      }
      if (!transport.canWriteEof()) throw new Error('canWriteEof() is false')
      transport.write('before eof')
      transport.writeEof()
      transport.writeEof()
      expectThrow(() => transport.write('after'), 'write() after writeEof()', WriteAfterEofError)
      expectThrow(() => transport.write(''), 'an empty write() after writeEof()', WriteAfterEofError)
      const got = await withTimeout(peer.ended!(), T, 'the peer seeing EOF')
      if (got.toString() !== 'before eof') throw new Error(`the peer got ${JSON.stringify(got.toString())}`)
      if (options.writeEof === 'closes') {
        if (!transport.isClosing()) throw new Error('writeEof() on this kind should close it')
        if ((await withTimeout(rec.lost, T, 'connectionLost')) !== null) throw new Error('writeEof() did not end with connectionLost(null)')
      } else if (transport.isClosing()) {
        throw new Error('writeEof() closed a transport that can half-close')
      }
    }))
  }

  function readTests (family: 'stream' | 'buffered'): void {
    const run = (body: (pair: CompliancePair, rec: Recorder, reports: ExceptionContext[]) => Promise<void>, o: RecorderOptions = {}) =>
      () => session(family, o, body)
    const label = (what: string): string => `${family} protocol: ${what}`

    it(label('bytes from the peer arrive in order, never empty'), run(async ({ peer }, rec) => {
      const data = Buffer.alloc(200_000)
      for (let i = 0; i < data.length; i++) data[i] = i % 251
      peer.send!(data.subarray(0, 1))
      peer.send!(data.subarray(1))
      await withTimeout(rec.untilBytes(data.length), T, 'all bytes')
      if (!rec.received().equals(data)) throw new Error('the bytes arrived changed or out of order')
      if (rec.chunks.some((c) => c.length === 0)) throw new Error('an empty delivery')
    }))

    it(label('pauseReading(): nothing is delivered while paused; resumeReading() delivers what came, in order; both idempotent'), run(async ({ transport, peer }, rec) => {
      transport.pauseReading()
      transport.pauseReading()
      if (transport.isReading()) throw new Error('isReading() is true while paused')
      peer.send!(Buffer.from('while paused'))
      // Proving that nothing comes needs a bounded wait: long enough for loopback delivery.
      await new Promise((resolve) => setTimeout(resolve, 100))
      if (rec.bytes !== 0) throw new Error(`${rec.bytes} bytes delivered while paused`)
      transport.resumeReading()
      transport.resumeReading()
      if (!transport.isReading()) throw new Error('isReading() is false after resumeReading()')
      peer.send!(Buffer.from(', then more'))
      await withTimeout(rec.untilBytes(22), T, 'the bytes after resume')
      if (rec.received().toString() !== 'while paused, then more') throw new Error(`got ${JSON.stringify(rec.received().toString())}`)
    }))

    it(label('pauseReading() inside the callback with the rest of the data on its way: nothing more until resumeReading()'), run(async ({ transport, peer }, rec) => {
      let pausedAt = -1
      const pause = (): void => {
        if (pausedAt < 0) { pausedAt = rec.bytes; transport.pauseReading() }
      }
      rec.hook({ onData: pause, onBufferUpdated: pause })
      const data = Buffer.alloc(1 << 20, 3)
      peer.send!(data)
      await withTimeout(rec.until(() => pausedAt >= 0), T, 'the first delivery')
      await new Promise((resolve) => setTimeout(resolve, 100)) // bounded: nothing may come meanwhile
      if (rec.bytes !== pausedAt) throw new Error(`${rec.bytes - pausedAt} bytes delivered after pauseReading()`)
      transport.resumeReading()
      await withTimeout(rec.untilBytes(data.length), T, 'the rest after resume')
    }, family === 'buffered' ? { bufferSize: 1000 } : {}))

    if (family === 'buffered') {
      it(label('switching to a stream protocol and pausing inside bufferUpdated: the rest of the chunk waits for resumeReading()'), run(async ({ transport, peer }, rec) => {
        const next = new RecordingProtocol()
        let paused = false
        rec.hook({
          onBufferUpdated: () => {
            if (paused) return
            transport.setProtocol(next)
            transport.pauseReading()
            paused = true
          },
        })
        peer.send!(Buffer.alloc(50_000, 1))
        await withTimeout(rec.until(() => paused), T, 'the first bufferUpdated')
        await new Promise((resolve) => setTimeout(resolve, 100)) // bounded: nothing may come meanwhile
        if (next.bytes !== 0) throw new Error(`dataReceived(${next.bytes}) while reading was paused`)
        transport.resumeReading()
        await withTimeout(next.untilBytes(50_000 - rec.bytes), T, 'the rest, on the new protocol')
        transport.setProtocol(rec)
      }, { bufferSize: 100 }))
    }

    it(label(`the peer's EOF: eofReceived once, then ${options.eofAlwaysCloses ? 'the transport closes whatever it returns' : 'a falsy return closes, a truthy one keeps writing open'}`), run(async ({ transport, peer }, rec) => {
      peer.send!(Buffer.from('last'))
      peer.sendEof!()
      await withTimeout(rec.eof, T, 'eofReceived')
      if (transport.isReading()) throw new Error('isReading() is true after EOF')
      if (options.eofAlwaysCloses) {
        if ((await withTimeout(rec.lost, T, 'connectionLost')) !== null) throw new Error('EOF did not end with connectionLost(null)')
        return
      }
      if (transport.isClosing()) throw new Error('eofReceived returned true and the transport closed anyway')
      transport.write('still open')
      transport.close()
      const got = await withTimeout(peer.ended!(), T, 'the peer seeing the end')
      if (got.toString() !== 'still open') throw new Error(`the peer got ${JSON.stringify(got.toString())} after the EOF`)
    }, { eofReturn: true }))

    it(label('a throwing data callback is fatal: reported once, connectionLost(thatError)'), run(async ({ peer }, rec, reports) => {
      peer.send!(Buffer.from('boom'))
      const exc = await withTimeout(rec.lost, T, 'connectionLost')
      if (exc === null || !/test error/.test(exc.message)) throw new Error(`connectionLost(${String(exc)}), expected the thrown error`)
      if (reports.length !== 1 || reports[0]!.exception !== exc) throw new Error(`${reports.length} reports, expected the one error`)
      reports.splice(0)
    }, { throwIn: { callback: family === 'buffered' ? 'bufferUpdated' : 'dataReceived' } }))

    it(label('pauseReading() and resumeReading() on a closing transport change nothing'), run(async ({ transport }, rec) => {
      transport.close()
      transport.pauseReading()
      transport.resumeReading()
      if (transport.isReading()) throw new Error('isReading() is true on a closing transport')
      await withTimeout(rec.lost, T, 'connectionLost')
    }))
  }
}

function expectThrow (fn: () => unknown, what: string, type?: new (...args: never[]) => Error): void {
  try {
    fn()
  } catch (err) {
    if (type !== undefined && !(err instanceof type)) throw new Error(`${what} threw ${String(err)}, expected a ${type.name}`)
    return
  }
  throw new Error(`${what} did not throw`)
}

function expectLimits (transport: Transport, want: [number, number]): void {
  const [low, high] = transport.getWriteBufferLimits()
  if (low !== want[0] || high !== want[1]) throw new Error(`limits [${low}, ${high}], expected [${want[0]}, ${want[1]}]`)
}
