import { createHash, randomBytes } from 'node:crypto'
import * as net from 'node:net'
import { onTestFinished } from 'vitest'
import { RecordingProtocol, watchExceptions as watchReports } from '@wireline/core/testing'
import { setAcceptedSocketFastPath } from '@wireline/core/machinery'
import type { StreamRecorderOptions } from '@wireline/core/testing'
import { Protocol, createConnection, type Server, type Transport } from '../src/index.js'

/** The port a server listens on (its first address). */
export function portOf (server: Server): number {
  const a = server.addresses()[0]
  if (!Array.isArray(a)) throw new Error('not a TCP server')
  return a[1]
}

/** Closes `server` and waits for it when the test ends (aborting its clients first). */
export function cleanupServer (server: Server): Server {
  onTestFinished(async () => {
    server.close()
    server.abortClients()
    await server.waitClosed()
  })
  return server
}

/** Aborts `transport` when the test ends (a no-op if it is already closed). */
export function cleanupTransport<T extends Transport> (transport: T): T {
  onTestFinished(() => { transport.abort() })
  return transport
}

/** Reports to the exception handler during this test; any the test did not `take()` fail it. */
export function watchExceptions (): ReturnType<typeof watchReports> {
  return watchReports(onTestFinished)
}

/** A plain `net` server as the peer: every accepted socket is handed out in order. */
export async function rawServer (options: net.ServerOpts = {}): Promise<{
  port: number, next: () => Promise<net.Socket>, server: net.Server
}> {
  const server = net.createServer({ allowHalfOpen: true, ...options })
  const queue: net.Socket[] = []
  const waiters: Array<(s: net.Socket) => void> = []
  const sockets = new Set<net.Socket>()
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('error', () => {})
    const w = waiters.shift()
    if (w !== undefined) w(s)
    else queue.push(s)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  onTestFinished(async () => {
    for (const s of sockets) s.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return {
    port: (server.address() as net.AddressInfo).port,
    server,
    next: async () => queue.shift() ?? await new Promise<net.Socket>((resolve) => waiters.push(resolve)),
  }
}

/** A plain `net` client connected to `port` on 127.0.0.1, destroyed at the end of the test. */
export async function rawClient (port: number, host = '127.0.0.1'): Promise<net.Socket> {
  const s = net.connect({ port, host, allowHalfOpen: true })
  s.on('error', () => {})
  onTestFinished(() => { s.destroy() })
  await new Promise<void>((resolve, reject) => {
    s.once('connect', resolve)
    s.once('error', reject)
  })
  return s
}

/** Everything a raw socket receives until its end ('end' or 'close'). */
export function collect (s: net.Socket): Promise<Buffer> {
  const chunks: Buffer[] = []
  s.on('data', (c: Buffer) => chunks.push(c))
  return new Promise((resolve) => {
    const done = (): void => resolve(Buffer.concat(chunks))
    s.once('end', done)
    s.once('close', done)
  })
}

/** A port on 127.0.0.1 with nothing listening (it was free a moment ago). */
export async function closedPort (): Promise<number> {
  const s = net.createServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  const { port } = s.address() as net.AddressInfo
  await new Promise<void>((resolve) => s.close(() => resolve()))
  return port
}

export function sha256 (data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex')
}

export function payload (n: number): Buffer {
  return randomBytes(n)
}

/** Resolves on the next turn of the event loop after pending I/O callbacks ran. */
export function turn (): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

/** Makes servers read accepted sockets via onread (`true`) or 'data' events, for this test. */
export function acceptPath (fast: boolean): void {
  setAcceptedSocketFastPath(fast)
  onTestFinished(() => { setAcceptedSocketFastPath(true) })
}

/** Resolves when a raw socket has seen the end of its peer's data ('end' or 'close'). */
export function ended (s: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    s.once('end', resolve)
    s.once('close', resolve)
  })
}

/** The echo protocol of the asyncio docs: writes back what it receives. */
export class Echo extends Protocol {
  transport!: Transport
  override connectionMade (t: Transport): void { this.transport = t }
  override dataReceived (data: Uint8Array): void { this.transport.write(data) }
}

/** A connection to a raw peer that does not read until told to. */
export async function stalled (options: StreamRecorderOptions = {}): Promise<{ t: Transport, p: RecordingProtocol, s: net.Socket }> {
  const peer = await rawServer({ pauseOnConnect: true })
  const p = new RecordingProtocol(options)
  const [t] = await createConnection(() => p, '127.0.0.1', peer.port)
  const s = await peer.next()
  return { t, p, s }
}
