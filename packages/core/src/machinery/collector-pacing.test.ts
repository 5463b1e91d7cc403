import { describe, expect, it } from 'vitest'
// a namespace import: `lastPacing` is read live after each call
import * as pacing from './collector-pacing.js'

const v8Major = Number.parseInt(process.versions.v8 ?? '0', 10)
const paces = !('Bun' in globalThis) && v8Major >= 13

describe('collector pacing (fresh read memory on V8 13+)', () => {
  it(paces ? 'allocates 1/16 of a large read in heap, none for a small one' : 'does nothing on this engine', () => {
    pacing.paceFreshReadMemory(4096) // at the threshold: not paced
    const afterSmall = pacing.lastPacing
    pacing.paceFreshReadMemory(16384)
    const afterLarge = pacing.lastPacing
    pacing.paceFreshReadMemory(65536)
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
