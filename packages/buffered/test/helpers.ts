import { createHash, randomBytes } from 'node:crypto'
import * as net from 'node:net'
import { onTestFinished } from 'vitest'
import { watchExceptions as watchReports } from '@wireline/core/testing'
import { setAcceptedSocketFastPath } from '@wireline/core/machinery'
import type { Server } from '../src/index.js'

export const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')
export const payload = (n: number): Buffer => randomBytes(n)

export function portOf (server: Server): number {
  return (server.addresses()[0] as [string, number])[1]
}

export function cleanupServer (server: Server): Server {
  onTestFinished(async () => {
    server.close()
    server.abortClients()
    await server.waitClosed()
  })
  return server
}

/** Reads accepted sockets via onread (true) or 'data' events (false) for this test. */
export function acceptPath (fast: boolean): void {
  setAcceptedSocketFastPath(fast)
  onTestFinished(() => { setAcceptedSocketFastPath(true) })
}

/** Reports to the exception handler during this test; any the test did not `take()` fail it. */
export function watchExceptions (): ReturnType<typeof watchReports> {
  return watchReports(onTestFinished)
}

/** A plain net server that sends `data` to each client, then ends (or just waits, when `end` is false). */
export async function sender (data: Uint8Array, { end = true } = {}): Promise<{ port: number, sockets: net.Socket[] }> {
  const sockets: net.Socket[] = []
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    sockets.push(s)
    s.on('error', () => {})
    if (end) s.end(data)
    else s.write(data)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  onTestFinished(async () => {
    for (const s of sockets) s.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return { port: (server.address() as net.AddressInfo).port, sockets }
}

/** A plain net client that sends `data` to port, then ends; destroyed at the end of the test. */
export function sendTo (port: number, data: Uint8Array): net.Socket {
  const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () => { s.end(data) })
  s.on('error', () => {})
  s.resume()
  onTestFinished(() => { s.destroy() })
  return s
}
