import type { ChildProcess } from 'node:child_process'
import * as dc from 'node:diagnostics_channel'
import { getEventListeners } from 'node:events'
import { describe, expect, it, onTestFinished } from 'vitest'
import { recordChannel, withTimeout } from '@wireline/core/testing'
import { subprocessExec, subprocessShell } from '../src/index.js'
import { T, cleanup, recorder } from './helpers.js'

const listen = (name: string): unknown[] => recordChannel(name, onTestFinished)

describe('subprocess: signal', () => {
  it('an aborted signal rejects with AbortError before anything starts; no protocol is made', async () => {
    let made = 0
    const err = await subprocessExec(() => { made++; return recorder() }, process.execPath, ['-e', ''], { signal: AbortSignal.abort() })
      .catch((e: unknown) => e)
    expect(err).toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' })
    expect(made).toBe(0)
  })

  it('aborted while the child starts: the child is killed, AbortError, no protocol callback', async () => {
    const controller = new AbortController()
    const p = recorder()
    const starting = subprocessShell(() => p, 'sleep 30', { signal: controller.signal })
    controller.abort()
    const err = await withTimeout(starting.catch((e: unknown) => e), T)
    expect(err).toMatchObject({ name: 'AbortError' })
    expect(p.events).toEqual([])
  })

  it('aborted once running: the child is killed (SIGKILL) and the protocol sees the exit', async () => {
    const controller = new AbortController()
    const [t, p] = await subprocessExec(() => recorder(), 'sleep', ['30'], { signal: controller.signal })
    cleanup(t, p)
    controller.abort()
    await withTimeout(p.lost, T)
    expect(t.getReturncode()).toBe(-9)
    expect(p.events).toContain('processExited')
  })

  it('a signal shared by many children holds none of them once they are gone', async () => {
    const controller = new AbortController()
    const listening = (): number => getEventListeners(controller.signal, 'abort').length
    const [running, runningP] = await subprocessExec(() => recorder(), 'sleep', ['30'], { signal: controller.signal })
    cleanup(running, runningP)
    const trace: string[] = [`running: ${listening()}`]
    const childListeners = (child: ChildProcess): string =>
      (['spawn', 'error', 'exit'] as const).map((e) => `${e} ${child.listenerCount(e)}`).join(', ')
    for (let i = 0; i < 3; i++) {
      const [t, p] = await subprocessExec(() => recorder(), process.execPath, ['-e', ''], { signal: controller.signal })
      trace.push(`started: ${listening()}`)
      // the start's own listeners are gone; the transport's 'error' and 'exit' and the signal's 'exit' remain
      expect(childListeners(t.getExtraInfo('subprocess') as ChildProcess)).toBe('spawn 0, error 1, exit 2')
      await withTimeout(p.lost, T)
      trace.push(`lost: ${listening()}`)
      expect(childListeners(t.getExtraInfo('subprocess') as ChildProcess)).toBe('spawn 0, error 1, exit 1')
      expect(t.getReturncode()).toBe(0)
    }
    const failed = await subprocessExec(() => recorder(), '/nonexistent/program', [], { signal: controller.signal }).catch((e: unknown) => e)
    expect(failed).toMatchObject({ code: 'ENOENT' })
    trace.push(`failed: ${listening()}`)
    expect(trace).toEqual(['running: 1', 'started: 2', 'lost: 1', 'started: 2', 'lost: 1', 'started: 2', 'lost: 1', 'failed: 1'])
    controller.abort()
    await withTimeout(runningP.lost, T)
    expect(running.getReturncode()).toBe(-9)
  })

  it('aborted by the protocol factory itself: AbortError, nothing started', async () => {
    const controller = new AbortController()
    const p = recorder()
    const err = await subprocessExec(() => { controller.abort(); return p }, 'sleep', ['30'], { signal: controller.signal })
      .catch((e: unknown) => e)
    expect(err).toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' })
    expect(p.events).toEqual([])
    expect(getEventListeners(controller.signal, 'abort')).toEqual([])
  })

  it('a bad signal throws at the call', () => {
    expect(() => subprocessExec(() => recorder(), 'true', [], { signal: 'stop' as never })).toThrow(TypeError)
  })
})

describe('subprocess: diagnostics_channel', () => {
  it("publishes the child transport's made and lost (not its internal pipes'), and traces the start", async () => {
    const made = listen('wireline:connection:made')
    const lost = listen('wireline:connection:lost')
    const starts: Array<Record<string, unknown>> = []
    const tracing = dc.tracingChannel('wireline:connect')
    const handlers = { start: (m: unknown) => starts.push(m as Record<string, unknown>) }
    tracing.subscribe(handlers as never)
    onTestFinished(() => { tracing.unsubscribe(handlers as never) })
    const [t, p] = await subprocessExec(() => recorder(), process.execPath, ['-e', 'process.stdout.write("hi")'])
    cleanup(t, p)
    await withTimeout(p.lost, T)
    expect(made).toEqual([{ transport: t, protocol: p }])
    expect(lost).toEqual([{ transport: t, protocol: p, error: null }])
    expect(starts).toEqual([expect.objectContaining({ family: 'subprocess', program: process.execPath, shell: false })])
  })
})
