import * as dgram from 'node:dgram'
import { RecordingDatagramProtocol, captureExceptions, withTimeout } from '@wireline/core/testing'
import type { DatagramRecorderOptions } from '@wireline/core/testing'
import { afterEach, expect } from 'vitest'
import { createDatagramEndpoint } from '../src/index.js'
import type { DatagramAddress, DatagramEndpointOptions, DatagramTransport } from '../src/index.js'

export type Recorder = RecordingDatagramProtocol<DatagramTransport>
export type Host = '127.0.0.1' | '::1'
export const HOSTS: Host[] = ['127.0.0.1', '::1']

/** Every test is bounded: a wait longer than this fails the test with a clear message. */
export const WAIT = 5_000

const transports = new Set<DatagramTransport>()
const sockets = new Set<dgram.Socket>()
let captured: ReturnType<typeof captureExceptions> | null = null

/**
 * Reports reach a list instead of stderr; each test asserts on `reports()` (and the hook
 * below fails a test that left one unasserted), like uvloop's tearDown.
 */
export function reports (): Array<{ message: string, exception?: unknown }> {
  captured ??= captureExceptions()
  return captured.contexts as Array<{ message: string, exception?: unknown }>
}

let expectedReports = 0
/** Declares that this test expects exactly `n` exception-handler reports. */
export function expectReports (n: number): void {
  expectedReports = n
}

afterEach(async () => {
  const open = [...transports]
  transports.clear()
  for (const t of open) t.abort()
  for (const s of sockets) {
    try { s.close() } catch { /* already closed */ }
  }
  sockets.clear()
  // Leave no handle behind: each aborted transport reaches connectionLost.
  await withTimeout(Promise.all(open.map(async (t) => {
    const p = t.getProtocol() as Recorder | null
    if (p !== null && typeof (p as Partial<Recorder>).lost?.then === 'function') await p.lost
  })), WAIT, 'closing the endpoints')
  const got = captured?.contexts.length ?? 0
  captured?.restore()
  captured = null
  const want = expectedReports
  expectedReports = 0
  expect(got, 'exception-handler reports').toBe(want)
})

/** `createDatagramEndpoint` with a recording protocol; closed after the test. */
export async function endpoint (
  options: DatagramEndpointOptions, recorder: DatagramRecorderOptions<DatagramTransport> = {},
): Promise<[DatagramTransport, Recorder]> {
  reports()
  const [t, p] = await withTimeout(
    createDatagramEndpoint(() => new RecordingDatagramProtocol<DatagramTransport>(recorder), options), WAIT, 'createDatagramEndpoint')
  transports.add(t)
  return [t, p]
}

/** The `[host, port]` an endpoint is bound to. */
export function sockname (t: DatagramTransport): DatagramAddress {
  return t.getExtraInfo('sockname')!
}

/** A plain `node:dgram` socket bound on `host` (port 0: any), with an 'error' listener; closed after the test. */
export async function rawSocket (host: string = '127.0.0.1', port = 0): Promise<RawPeer> {
  const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4')
  sockets.add(socket)
  const peer = new RawPeer(socket)
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject)
    socket.bind(port, host, () => { socket.off('error', reject); resolve() })
  })
  return peer
}

/** A raw dgram socket that records what it receives and lets tests wait for it. */
export class RawPeer {
  readonly messages: Array<{ data: Buffer, from: DatagramAddress }> = []
  readonly errors: Error[] = []
  #waiters: Array<() => void> = []

  constructor (readonly socket: dgram.Socket) {
    socket.on('message', (data, rinfo) => {
      this.messages.push({ data, from: [rinfo.address, rinfo.port] })
      this.#poke()
    })
    socket.on('error', (err) => {
      this.errors.push(err)
      this.#poke()
    })
  }

  get address (): DatagramAddress {
    const a = this.socket.address()
    return [a.address, a.port]
  }

  #poke (): void {
    const w = this.#waiters
    this.#waiters = []
    for (const f of w) f()
  }

  async until (check: () => boolean, what = 'the raw peer'): Promise<void> {
    const wait = async (): Promise<void> => {
      while (!check()) await new Promise<void>((resolve) => this.#waiters.push(resolve))
    }
    await withTimeout(wait(), WAIT, what)
  }

  async untilMessages (n: number): Promise<void> {
    await this.until(() => this.messages.length >= n, `${n} datagrams at the raw peer`)
  }

  async send (data: Uint8Array | string, to: DatagramAddress): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.socket.send(data, to[1], to[0], (err) => { if (err) reject(err); else resolve() })
    })
  }
}

/** A port on `host` that nobody listens on (bound, then closed). */
export async function deadPort (host: string = '127.0.0.1'): Promise<number> {
  const peer = await rawSocket(host)
  const port = peer.address[1]
  sockets.delete(peer.socket)
  await new Promise<void>((resolve) => peer.socket.close(() => resolve()))
  return port
}

/** Waits (bounded) until the recorder's `check` holds. */
export async function until (p: Recorder, check: () => boolean, what: string): Promise<void> {
  await withTimeout(p.until(check), WAIT, what)
}

/**
 * Proves absence: gives the loop a short, bounded time in which a datagram already sent
 * over loopback would have arrived (used only where a test asserts that nothing comes).
 */
export async function settle (ms = 50): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms))
}

/** Forgets a transport the test closed itself (and awaited). */
export function forget (t: DatagramTransport): void {
  transports.delete(t)
}

/**
 * Resolves once the transport's send queue is empty. Completed sends call no protocol
 * callback, so this checks once per loop iteration (bounded by WAIT).
 */
export async function drained (t: DatagramTransport): Promise<void> {
  const wait = async (): Promise<void> => {
    while (t.getWriteBufferSize() !== 0) await new Promise((resolve) => setImmediate(resolve))
  }
  await withTimeout(wait(), WAIT, 'the send queue to drain')
}
