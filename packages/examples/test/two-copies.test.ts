import { execFile } from 'node:child_process'
import { cpSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it, onTestFinished } from 'vitest'
import { tempDir } from '@wireline/core/testing'

const examples = fileURLToPath(new URL('..', import.meta.url))
const coreDist = fileURLToPath(new URL('../../core/dist', import.meta.url))

/**
 * Runs `code` (an ES module) in a plain Node process started in packages/examples, where
 * `@wireline/*` resolve to the built packages; `copy` is the URL of a second copy of core's
 * build, on disk in a temp dir, as a family that resolved its own copy would load it.
 */
function run (code: string): Promise<string> {
  const dir = tempDir('wireline-copy-')
  onTestFinished(dir.cleanup)
  cpSync(coreDist, join(dir.path, 'core', 'dist'), { recursive: true })
  writeFileSync(join(dir.path, 'core', 'package.json'), JSON.stringify({ name: '@wireline/core', type: 'module' }))
  const script = join(examples, `.two-copies-${process.pid}.mjs`)
  writeFileSync(script, `const copy = ${JSON.stringify(new URL(`file://${join(dir.path, 'core', 'dist', 'index.js')}`).href)}\n${code}`)
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [script], { cwd: examples, timeout: 20_000 }, (err, stdout, stderr) => {
      rmSync(script, { force: true })
      if (err) reject(Object.assign(err, { stderr }))
      else resolve(stdout)
    })
  })
}

describe('two installed copies of @wireline/core', () => {
  it('share one exception handler: set through one copy, reports from the other reach it', async () => {
    const out = await run(`
      import * as a from '@wireline/core'
      const b = await import(copy)
      if (a.setExceptionHandler === b.setExceptionHandler) throw new Error('not two copies')
      const seen = []
      b.setExceptionHandler((ctx) => seen.push(ctx.message))
      a.callExceptionHandler({ message: 'from copy a' })
      console.log(JSON.stringify({ seen, handlerSeenByA: a.getExceptionHandler() !== null, sameError: new a.InvalidStateError('x') instanceof b.InvalidStateError }))
      b.setExceptionHandler(null)
      console.log(a.getExceptionHandler() === null)
    `)
    const [first, second] = out.trim().split('\n')
    expect(JSON.parse(first!)).toEqual({ seen: ['from copy a'], handlerSeenByA: true, sameError: true })
    expect(second).toBe('true')
  })
})
