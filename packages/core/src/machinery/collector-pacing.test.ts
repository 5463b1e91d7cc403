import { describe, expect, it, onTestFinished } from 'vitest'
import { RecordingProtocol } from '../testing/recorder.js'
import { withTimeout } from '../testing/deferred.js'
// a namespace import: `lastPacing` is read live after each call
import * as pacing from './collector-pacing.js'
import { catPipe, tcpClient } from '../../test/pairs.js'

const v8Major = Number.parseInt(process.versions.v8 ?? '0', 10)
const paces = !('Bun' in globalThis) && v8Major >= 13

describe('collector pacing (fresh read memory on V8 13+)', () => {
  it(paces ? 'allocates 1/16 of a large read in heap, none for a small one' : 'does nothing on this engine', () => {
    pacing.paceReadMemory(4096) // at the threshold: not paced
    const afterSmall = pacing.lastPacing
    pacing.paceReadMemory(16384)
    const afterLarge = pacing.lastPacing
    pacing.paceReadMemory(65536)
    const afterFull = pacing.lastPacing
    if (paces) {
      expect(afterSmall).toBeNull()
      // 8 bytes of heap per slot: 16384 / 16 / 8 and 65536 / 16 / 8
      expect((afterLarge as unknown[]).length).toBe(128)
      expect((afterFull as unknown[]).length).toBe(512)
      expect(afterFull).not.toBe(afterLarge)
    } else {
      expect([afterSmall, afterLarge, afterFull]).toEqual([null, null, null])
    }
  })
})

describe('collector pacing of writes', () => {
  it(paces ? 'a large write() and writelines() are paced as large reads are, a small one is not' : 'writes are not paced on this engine', async () => {
    // a write pipe to a `cat` child, started
    const protocol = new RecordingProtocol()
    const { transport: t, peer, cleanup } = await catPipe(protocol, 'write')
    onTestFinished(async () => { peer.destroy(); await cleanup?.() })
    const before = pacing.lastPacing
    t.write(Buffer.alloc(4096, 1)) // at the threshold: not paced
    const afterSmall = pacing.lastPacing
    t.write(Buffer.alloc(65536, 2))
    const afterLarge = pacing.lastPacing
    t.writelines([Buffer.alloc(100, 3), Buffer.alloc(32768, 4)])
    const afterLines = pacing.lastPacing
    t.close()
    await withTimeout(protocol.lost, 10_000)
    expect(protocol.lostWith).toBe(null)
    if (paces) {
      expect(afterSmall).toBe(before)
      expect((afterLarge as unknown[]).length).toBe(512) // 65536 / 16 / 8
      expect((afterLines as unknown[]).length).toBe(256) // the 32 KiB chunk's
    } else {
      expect([afterSmall, afterLarge, afterLines]).toEqual([before, before, before])
    }
  })
})

describe('collector pacing of a read written back', () => {
  it(paces ? 'a large read echoed from dataReceived is not paced again; a fresh write is' : 'nothing is paced on this engine', async () => {
    const log: string[] = []
    const protocol = new RecordingProtocol({
      onData (data, transport) {
        const before = pacing.lastPacing
        transport.write(data) // an echo: the read being delivered
        const afterEcho = pacing.lastPacing
        transport.write(Buffer.alloc(data.length, 7))
        const afterFresh = pacing.lastPacing
        log.push(`${data.length > 4096 ? 'large' : 'small'}: echo ${afterEcho === before ? 'not paced' : 'paced'}, ` +
          `fresh ${afterFresh === afterEcho ? 'not paced' : 'paced'}`)
      },
    })
    const { transport, peer, cleanup } = await tcpClient(protocol)
    onTestFinished(async () => { peer.destroy(); await cleanup?.() })
    peer.send!(Buffer.alloc(32768, 1))
    await withTimeout(protocol.untilBytes(32768), 10_000)
    // after the delivery, the same memory written again is paced like any other
    const last = protocol.chunks.at(-1)!
    const beforeAgain = pacing.lastPacing
    transport.write(last)
    const afterAgain = pacing.lastPacing
    transport.abort()
    await withTimeout(protocol.lost, 10_000)
    expect(afterAgain !== beforeAgain).toBe(paces && last.length > 4096)
    // loopback hands 32 KiB over in one read or a few; each went back unpaced, its fresh twin paced
    expect(log.some((l) => l.startsWith('large'))).toBe(true)
    for (const line of log) {
      if (line.startsWith('small')) expect(line).toBe('small: echo not paced, fresh not paced')
      else expect(line).toBe(paces ? 'large: echo not paced, fresh paced' : 'large: echo not paced, fresh not paced')
    }
  })
})
