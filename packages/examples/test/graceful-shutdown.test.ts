import { spawn } from 'node:child_process'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { withTimeout } from '@wireline/core/testing'

const examples = fileURLToPath(new URL('..', import.meta.url))

// The README's shutdown pattern, as a Node program runs it: SIGTERM closes the server,
// serveForever() resolves, and the program ends by itself with exit code 0.
const program = `
import { Protocol, createServer } from '@wireline/stream'
class Echo extends Protocol {
  connectionMade (t) { this.t = t }
  dataReceived (d) { this.t.write(d) }
}
const server = await createServer(() => new Echo(), '127.0.0.1', 0)
process.once('SIGTERM', () => server.close())
console.log('serving on', server.addresses()[0][1])
await server.serveForever()
await server.waitClosed()
console.log('closed')
`

describe('graceful shutdown', () => {
  it("process.once('SIGTERM', () => server.close()) around await server.serveForever() exits 0", async () => {
    const script = join(examples, `.graceful-${process.pid}.mjs`)
    writeFileSync(script, program)
    try {
      const child = spawn(process.execPath, [script], { cwd: examples, stdio: ['ignore', 'pipe', 'pipe'] })
      let out = ''
      let err = ''
      child.stderr.on('data', (c: Buffer) => { err += c })
      const serving = new Promise<void>((resolve) => {
        child.stdout.on('data', (c: Buffer) => { out += c; if (out.includes('serving on')) resolve() })
      })
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
      await withTimeout(serving, 10_000, 'the server to start')
      child.kill('SIGTERM')
      const code = await withTimeout(exited, 10_000, 'the program to exit')
      expect(err).toBe('')
      expect(code).toBe(0)
      expect(out.trim().split('\n').pop()).toBe('closed')
    } finally {
      rmSync(script, { force: true })
    }
  })
})
