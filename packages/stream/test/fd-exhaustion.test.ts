import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import * as net from 'node:net'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { describe, expect, it, onTestFinished } from 'vitest'
import { tempDir, withTimeout } from '@wireline/core/testing'

// Issue 12, item 5: out of file descriptors (EMFILE on accept), a server never crashes the
// process and goes on serving the connections it has; the failure reaches the exception
// handler once per burst. The server runs in a child under `ulimit -n 64`; the test (with
// the usual limit) opens more connections than that.

const T = 20_000
const LIMIT = 64
const CONNECTIONS = 120

/** Bundles the fixture (TypeScript, wireline from source) into one file node can run. */
async function bundle (): Promise<string> {
  const requireFromVite = createRequire(createRequire(import.meta.url).resolve('vite'))
  const esbuild = await import(requireFromVite.resolve('esbuild')) as {
    build(options: Record<string, unknown>): Promise<unknown>
  }
  const dir = tempDir('wireline-emfile-')
  onTestFinished(dir.cleanup)
  const outfile = join(dir.path, 'server.mjs')
  await esbuild.build({
    entryPoints: [fileURLToPath(new URL('./fixtures/fd-limited-server.ts', import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['@wireline/source'],
    outfile,
    logLevel: 'silent',
  })
  return outfile
}

/** Connects and sends "ping": resolves true once echoed, false if the server dropped it. */
function ping (port: number): Promise<{ socket: net.Socket, echoed: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port })
    socket.on('error', () => {})
    socket.once('connect', () => socket.write('ping'))
    socket.once('data', () => resolve({ socket, echoed: true }))
    socket.once('close', () => resolve({ socket, echoed: false }))
  })
}

function echo (socket: net.Socket, what: string): Promise<string> {
  return new Promise((resolve) => {
    socket.once('data', (d) => resolve(d.toString()))
    socket.write(what)
  })
}

// Node only: run under Bun, the child server stopped answering its held connections once out
// of descriptors (a Bun runtime difference, listed in the guide's Bun section).
const onBun = 'Bun' in globalThis

describe('fd exhaustion', () => {
  it.skipIf(onBun)(`a server under ulimit -n ${LIMIT} survives ${CONNECTIONS} connections, serves those it holds, reports once per burst`, async () => {
    const entry = await bundle()
    const child = spawn('sh', ['-c', `ulimit -n ${LIMIT} && exec "${process.execPath}" "${entry}"`], { stdio: ['pipe', 'pipe', 'inherit'] })
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    const sockets: net.Socket[] = []
    onTestFinished(async () => {
      for (const s of sockets) s.destroy()
      child.kill('SIGKILL')
      await exited
    })
    const lines = createInterface({ input: child.stdout! })
    const next = (): Promise<Record<string, unknown>> => new Promise((resolve) => lines.once('line', (l) => resolve(JSON.parse(l) as Record<string, unknown>)))
    const { port } = await withTimeout(next(), T) as { port: number }

    // more connections than the child has descriptors: the first ones are held, the rest dropped
    const results = await withTimeout(Promise.all(Array.from({ length: CONNECTIONS }, () => ping(port))), T)
    for (const r of results) sockets.push(r.socket)
    const held = results.filter((r) => r.echoed)
    const dropped = results.length - held.length
    expect(held.length).toBeGreaterThan(10)
    expect(held.length).toBeLessThan(LIMIT)
    expect(dropped).toBeGreaterThan(0)

    // the process is alive and every connection it holds still echoes
    const again = await withTimeout(Promise.all(held.map((r, i) => echo(r.socket, `again ${i}`))), T)
    expect(again).toEqual(held.map((_r, i) => `again ${i}`))
    child.stdin!.write('stats\n')
    const first = await withTimeout(next(), T) as { reports: string[], open: number }
    expect(first.open).toBe(held.length)
    // libuv answers EMFILE with its reserved-descriptor trick (accept, close, keep going) and
    // then tells Node nothing; where it does pass the error on, it is one report per burst.
    expect(first.reports.length).toBeLessThanOrEqual(1)
    for (const r of first.reports) expect(r).toMatch(/^socket\.accept\(\) out of system resource: E[MN]FILE$/)

    // descriptors freed: accepting works again; a second burst is reported once more
    for (const r of held.splice(0, 5)) r.socket.destroy()
    await withTimeout((async () => {
      for (;;) {
        const r = await ping(port)
        sockets.push(r.socket)
        if (r.echoed) return
      }
    })(), T)
    const burst = await withTimeout(Promise.all(Array.from({ length: 20 }, () => ping(port))), T)
    for (const r of burst) sockets.push(r.socket)
    child.stdin!.write('stats\n')
    const second = await withTimeout(next(), T) as { reports: string[], open: number }
    expect(second.reports.length).toBeLessThanOrEqual(first.reports.length + 1)
    expect(second.open).toBeGreaterThan(0)
    expect(child.exitCode).toBe(null)
  })
})
