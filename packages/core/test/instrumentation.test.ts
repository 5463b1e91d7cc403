import * as dc from 'node:diagnostics_channel'
import * as net from 'node:net'
import { describe, expect, it, onTestFinished } from 'vitest'
import { createConnection, createServer } from '../src/machinery/index.js'
import { RecordingProtocol, withTimeout } from '../src/testing/index.js'

const T = 10_000
const NAMES = [
  'wireline:connection:made', 'wireline:connection:lost', 'wireline:writing:paused', 'wireline:writing:resumed',
  'wireline:server:listening', 'wireline:server:closed',
] as const
const TRACING = ['start', 'end', 'asyncStart', 'asyncEnd', 'error'] as const

type Message = Record<string, unknown>

/** Subscribes to every wireline channel for this test; returns what was published, in order. */
function subscribeAll (): Array<[string, Message]> {
  const seen: Array<[string, Message]> = []
  for (const name of NAMES) {
    const fn = (message: unknown): void => { seen.push([name, message as Message]) }
    dc.subscribe(name, fn)
    onTestFinished(() => { dc.unsubscribe(name, fn) })
  }
  const tracing = dc.tracingChannel('wireline:connect')
  const handlers = Object.fromEntries(TRACING.map((event) => [event, (message: unknown) => { seen.push([`connect:${event}`, message as Message]) }]))
  tracing.subscribe(handlers as never)
  onTestFinished(() => { tracing.unsubscribe(handlers as never) })
  return seen
}

describe('diagnostics_channel', () => {
  it("publishes a connection's life on both sides, flow control, the server's listening and closing, and traces the attempt", async () => {
    const seen = subscribeAll()
    const serverProtocol = new RecordingProtocol()
    const server = await createServer(() => serverProtocol, '127.0.0.1', 0, { startServing: false })
    expect(seen.filter(([n]) => n === 'wireline:server:listening')).toHaveLength(0) // not before it listens
    await server.startServing()
    expect(seen.filter(([n]) => n === 'wireline:server:listening')).toEqual([['wireline:server:listening', { server }]])
    const [, port] = server.addresses()[0] as [string, number]

    const client = new RecordingProtocol()
    const [transport] = await createConnection(() => client, '127.0.0.1', port)
    const start = seen.find(([n]) => n === 'connect:start')![1]
    expect(start).toMatchObject({ family: 'tcp', host: '127.0.0.1', port, ssl: false })
    const asyncEnd = seen.find(([n]) => n === 'connect:asyncEnd')![1]
    expect(asyncEnd).toBe(start) // the same context object
    expect(asyncEnd.result).toEqual([transport, client])
    const startAt = seen.findIndex(([n]) => n === 'connect:start')
    const madeAt = seen.findIndex(([n, m]) => n === 'wireline:connection:made' && m.transport === transport)
    expect(startAt).toBeLessThan(madeAt)
    expect(seen[madeAt]![1]).toEqual({ transport, protocol: client })
    await withTimeout(serverProtocol.made, T)
    expect(seen.some(([n, m]) => n === 'wireline:connection:made' && m.protocol === serverProtocol)).toBe(true)

    // flow control: pause at once (high 0), resume once drained
    serverProtocol.transport!.pauseReading()
    transport.setWriteBufferLimits({ high: 0 })
    while (client.count('pauseWriting') === 0) transport.write(Buffer.alloc(1 << 20))
    expect(seen.filter(([n]) => n === 'wireline:writing:paused')).toEqual([['wireline:writing:paused', { transport, protocol: client }]])
    serverProtocol.transport!.resumeReading()
    await withTimeout(client.until(() => client.count('resumeWriting') === 1), T)
    expect(seen.filter(([n]) => n === 'wireline:writing:resumed')).toEqual([['wireline:writing:resumed', { transport, protocol: client }]])

    transport.close()
    await withTimeout(client.lost, T)
    expect(seen.filter(([n, m]) => n === 'wireline:connection:lost' && m.transport === transport))
      .toEqual([['wireline:connection:lost', { transport, protocol: client, error: null }]])
    await withTimeout(serverProtocol.lost, T)
    server.close()
    await withTimeout(server.waitClosed(), T)
    expect(seen.filter(([n]) => n === 'wireline:server:closed')).toEqual([['wireline:server:closed', { server }]])
    await server.waitClosed()
    expect(seen.filter(([n]) => n === 'wireline:server:closed')).toHaveLength(1) // once
  })

  it('a failed attempt: error with context.error, and no connection:made', async () => {
    const seen = subscribeAll()
    const probe = net.createServer()
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
    const { port } = probe.address() as net.AddressInfo
    await new Promise<void>((resolve) => probe.close(() => resolve()))
    const err = await createConnection(() => new RecordingProtocol(), '127.0.0.1', port).catch((e: unknown) => e)
    expect((err as NodeJS.ErrnoException).code).toBe('ECONNREFUSED')
    const failed = seen.find(([n]) => n === 'connect:error')![1]
    expect(failed.error).toBe(err)
    expect(seen.find(([n]) => n === 'connect:start')![1]).toBe(failed)
    expect(seen.some(([n]) => n === 'wireline:connection:made')).toBe(false)
  })

  it('publishes nothing when no one subscribes (no publish() call)', async () => {
    const calls: string[] = []
    const restore: Array<() => void> = []
    for (const name of NAMES) {
      const channel = dc.channel(name)
      expect(channel.hasSubscribers).toBe(false)
      const original = channel.publish
      channel.publish = (message: unknown) => { calls.push(name); original.call(channel, message) }
      restore.push(() => { channel.publish = original })
    }
    onTestFinished(() => { for (const r of restore) r() })
    const p = new RecordingProtocol()
    const server = await createServer(() => new RecordingProtocol(), '127.0.0.1', 0)
    const [, port] = server.addresses()[0] as [string, number]
    const [t] = await createConnection(() => p, '127.0.0.1', port)
    t.setWriteBufferLimits({ high: 0 })
    t.write('x')
    t.close()
    await withTimeout(p.lost, T)
    server.close()
    server.abortClients()
    await withTimeout(server.waitClosed(), T)
    expect(calls).toEqual([])
  })
})
