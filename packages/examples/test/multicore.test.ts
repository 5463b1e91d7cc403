import { spawn } from 'node:child_process'
import net from 'node:net'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const probe = fileURLToPath(new URL('./fixtures/multicore-probe.mjs', import.meta.url))
// Node only: the fast path it checks (onread) does not exist on Bun (see the guide's Bun section),
// and Bun's node:cluster is not what this example is about; not run there yet.
const onBun = 'Bun' in globalThis
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number)
const hasReusePort = major >= 23 || (major === 22 && minor >= 12)

/** Echoes `message` on a fresh connection to `port`, resolves with what came back. */
function echoOnce (port: number, message: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port })
    const got: Buffer[] = []
    let n = 0
    socket.on('data', (d: Buffer) => {
      got.push(d)
      n += d.length
      if (n >= message.length) socket.end()
    })
    socket.on('end', () => resolve(Buffer.concat(got)))
    socket.on('error', reject)
    socket.write(message)
  })
}

/**
 * Starts the multicore echo server with 2 workers (`args`), echoes on `conns` connections at
 * once, stops it with SIGTERM and returns what each worker's probe saw.
 */
async function runTwoWorkers (args: string[], conns: number): Promise<Array<{ pid: number, connections: number, onread: number }>> {
  const child = spawn(process.execPath, [probe, '0', '--workers=2', ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
  const killer = setTimeout(() => child.kill('SIGKILL'), 15_000)
  try {
    const lines: string[] = []
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    const port = await new Promise<number>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        lines.push(line)
        const m = /^Listening on 127\.0\.0\.1:(\d+) with 2 workers/.exec(line)
        if (m) resolve(Number(m[1]))
      })
      child.once('exit', () => reject(new Error(`exited early: ${lines.join('\n')}`)))
    })
    const messages = Array.from({ length: conns }, (_, i) => Buffer.alloc(64 * 1024 + i, i))
    const echoed = await Promise.all(messages.map((m) => echoOnce(port, m)))
    for (const [i, m] of messages.entries()) expect(echoed[i]!.equals(m)).toBe(true)
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
    const probes = lines.flatMap((l) => {
      const m = /^probe (\d+) (\d+) (\d+)$/.exec(l)
      return m ? [{ pid: Number(m[1]), connections: Number(m[2]), onread: Number(m[3]) }] : []
    })
    expect(lines.filter((l) => /^worker [12] \(pid \d+\): \d+ connections$/.test(l))).toHaveLength(2)
    return probes
  } finally {
    clearTimeout(killer)
    child.kill('SIGKILL')
  }
}

describe.skipIf(onBun)('multicore-echo-server: one wireline server per process on one port', () => {
  it('node:cluster: two workers share the connections, each through the accepted-socket fast path', async () => {
    const probes = await runTwoWorkers([], 20)
    expect(probes).toHaveLength(2)
    expect(new Set(probes.map((p) => p.pid)).size).toBe(2)
    // the primary hands connections round-robin: both workers get some
    expect(probes.every((p) => p.connections > 0)).toBe(true)
    expect(probes.reduce((n, p) => n + p.connections, 0)).toBe(20)
    expect(probes.every((p) => p.onread === p.connections)).toBe(true)
  }, 30_000)

  it.runIf(hasReusePort)('reusePort: two processes bind the port, the kernel spreads the connections', async () => {
    // The kernel picks a listener by a hash of each connection's addresses: with 40
    // connections, all on one process has a chance of 2^-39.
    const probes = await runTwoWorkers(['--reuse-port'], 40)
    expect(probes).toHaveLength(2)
    expect(probes.every((p) => p.connections > 0)).toBe(true)
    expect(probes.reduce((n, p) => n + p.connections, 0)).toBe(40)
    expect(probes.every((p) => p.onread === p.connections)).toBe(true)
  }, 30_000)

  it.runIf(!hasReusePort)(`reusePort: refused with a clear error on Node ${process.versions.node}`, async () => {
    const child = spawn(process.execPath, [probe, '0', '--workers=1', '--reuse-port'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr!.on('data', (d) => { stderr += String(d) })
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000)
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
    clearTimeout(killer)
    expect(code).not.toBe(0)
    expect(stderr).toMatch(/reusePort is not supported by Node/)
  }, 30_000)
})
