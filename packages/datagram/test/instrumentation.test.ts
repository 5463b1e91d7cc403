import * as dc from 'node:diagnostics_channel'
import { describe, expect, it, onTestFinished } from 'vitest'
import { recordChannel, RecordingDatagramProtocol, withTimeout } from '@wireline/core/testing'
import { createDatagramEndpoint } from '../src/index.js'
import type { DatagramTransport } from '../src/index.js'

const listen = (name: string): unknown[] => recordChannel(name, onTestFinished)

describe('datagram endpoints on diagnostics_channel and with a signal', () => {
  it('publishes connection:made and connection:lost, and traces the opening', async () => {
    const made = listen('wireline:connection:made')
    const lost = listen('wireline:connection:lost')
    const starts: unknown[] = []
    const ends: unknown[] = []
    const tracing = dc.tracingChannel('wireline:connect')
    const handlers = { start: (m: unknown) => starts.push(m), asyncEnd: (m: unknown) => ends.push(m) }
    tracing.subscribe(handlers as never)
    onTestFinished(() => { tracing.unsubscribe(handlers as never) })
    const p = new RecordingDatagramProtocol<DatagramTransport>()
    const [t] = await createDatagramEndpoint(() => p, { localAddr: ['127.0.0.1', 0] })
    expect(made).toEqual([{ transport: t, protocol: p }])
    expect(starts).toEqual([expect.objectContaining({ family: 'udp', localAddr: ['127.0.0.1', 0] })])
    expect(ends[0]).toBe(starts[0])
    t.close()
    await withTimeout(p.lost, 5000)
    expect(lost).toEqual([{ transport: t, protocol: p, error: null }])
  })

  it('an aborted signal rejects with AbortError and makes no protocol; a bad signal throws at the call', async () => {
    let made = 0
    const err = await createDatagramEndpoint(() => { made++; return new RecordingDatagramProtocol() }, {
      localAddr: ['127.0.0.1', 0], signal: AbortSignal.abort(),
    }).catch((e: unknown) => e)
    expect(err).toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' })
    expect(made).toBe(0)
    expect(() => createDatagramEndpoint(() => new RecordingDatagramProtocol(), { localAddr: ['127.0.0.1', 0], signal: 1 as never }))
      .toThrow(TypeError)
  })

  it('a signal aborted while the host name resolves: AbortError, no protocol', async () => {
    const controller = new AbortController()
    let made = 0
    const opening = createDatagramEndpoint(() => { made++; return new RecordingDatagramProtocol() }, {
      localAddr: ['localhost', 0], signal: controller.signal,
    })
    controller.abort()
    const err = await withTimeout(opening.catch((e: unknown) => e), 5000)
    expect(err).toMatchObject({ name: 'AbortError' })
    expect(made).toBe(0)
  })
})
