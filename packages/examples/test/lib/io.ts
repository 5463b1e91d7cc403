// Helpers the real-protocol tests share: free ports, running a program to completion, raw
// TCP exchanges, hashing, and the servers the tests start and stop.
import { execFile, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createReadStream, existsSync } from 'node:fs'
import net from 'node:net'
import { createServer as createStreamServer, type Server } from '@wireline/stream'
import { HttpProtocol } from '../../src/http/server.js'
import { helloEcho } from '../../src/http/routes.js'

/**
 * True when the tests that need `program` (a path, or a name on the PATH) should be skipped:
 * it is missing and this is not CI. Under CI (`.ci/run`, which installs curl, wrk and
 * redis-server) a missing program fails those tests instead of skipping them.
 */
export function skipWithout (program: string): boolean {
  const found = program.includes('/') ? existsSync(program) : spawnSync('sh', ['-c', `command -v ${program}`]).status === 0
  return !found && process.env.CI !== 'true'
}

/** A port nobody listens on right now: bind port 0, read it, close. */
export function freePort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo
      srv.close(() => resolve(port))
    })
  })
}

export interface RunResult { code: number | null, stdout: Buffer, stderr: string }

/** Runs `program args` to completion (killed after `timeout` ms); never rejects on a non-zero exit. */
export function run (program: string, args: string[], timeout = 15_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(program, args, { encoding: 'buffer', timeout, maxBuffer: 256 << 20, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      if (err !== null && typeof err.code !== 'number' && err.killed !== true) reject(err)
      else resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stdout, stderr: stderr.toString() })
    })
  })
}

/**
 * Connects with a plain `net.Socket`, writes `chunks` (one `write` each), ends the write side
 * when `end` is set, and resolves with everything received once the server closes (rejects
 * after `timeout` ms).
 */
export function exchange (port: number, chunks: Array<string | Buffer>, { end = false, timeout = 10_000 } = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const got: Buffer[] = []
    const socket = net.connect(port, '127.0.0.1')
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`no close within ${timeout} ms; got ${Buffer.concat(got).toString('latin1').slice(0, 200)}`))
    }, timeout)
    socket.on('connect', () => {
      for (const c of chunks) socket.write(c)
      if (end) socket.end()
    })
    socket.on('data', (d) => got.push(d))
    socket.on('error', () => {}) // a reset after the server's close ends the exchange too
    socket.on('close', () => {
      clearTimeout(timer)
      resolve(Buffer.concat(got))
    })
  })
}

export function sha256 (data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex')
}

export function sha256File (path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256')
    createReadStream(path).on('data', (d) => h.update(d)).on('end', () => resolve(h.digest('hex'))).on('error', reject)
  })
}

/** Stops a wireline server: no more accepts, every connection aborted, and waits for all of it. */
export async function stopServer (server: Server): Promise<void> {
  server.close()
  server.abortClients()
  await server.waitClosed()
}

/** The example HTTP app on a free port, in this process; `protocols` collects each connection's protocol. */
export async function startHttp (make = () => new HttpProtocol(helloEcho)): Promise<{ server: Server, port: number, protocols: HttpProtocol[] }> {
  const protocols: HttpProtocol[] = []
  const server = await createStreamServer(() => {
    const p = make()
    protocols.push(p)
    return p
  }, '127.0.0.1', 0)
  return { server, port: (server.addresses()[0] as [string, number])[1], protocols }
}

/** Splits raw HTTP responses (as this server writes them: Content-Length framed) into status codes and bodies. */
export function splitResponses (raw: Buffer): Array<{ status: number, head: string, body: Buffer }> {
  const out: Array<{ status: number, head: string, body: Buffer }> = []
  let pos = 0
  while (pos < raw.length) {
    const end = raw.indexOf('\r\n\r\n', pos)
    if (end === -1) throw new Error(`truncated response at ${pos}: ${raw.toString('latin1', pos, pos + 100)}`)
    const head = raw.toString('latin1', pos, end)
    const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(head)?.[1])
    const len = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1] ?? 0)
    out.push({ status, head, body: raw.subarray(end + 4, end + 4 + len) })
    pos = end + 4 + len
  }
  return out
}
