import { constants } from 'node:os'
import { describe, expect, it, onTestFinished } from 'vitest'
import { assertTrace, withTimeout } from '@wireline/core/testing'
import { subprocessExec } from '../src/index.js'
import type { SubprocessTransport } from '../src/index.js'
import { T, fixture, killPid, recorder, runFixture, untilText, watchExceptions } from './helpers.js'

// Bun (see the guide's Bun section): where it differs from Node, the test says so beside the check
const onBun = 'Bun' in globalThis

const SIG = constants.signals

describe('exit status', () => {
  it.each([
    [['0'], 0],
    [['3'], 3],
    [['255'], 255],
    [['signal', 'SIGKILL'], -SIG.SIGKILL],
    [['signal', 'SIGTERM'], -SIG.SIGTERM],
  ])('exit.mjs %j gives returncode %i, readable from processExited on', async (args, code) => {
    let atExit: number | null | undefined
    const [t, p] = await runFixture('exit.mjs', args, undefined, { onExited: (tr) => { atExit = tr.getReturncode() } })
    expect(t.getReturncode()).toBe(null)
    await withTimeout(p.lost, T)
    expect(atExit).toBe(code)
    expect(t.getReturncode()).toBe(code)
    expect(p.count('processExited')).toBe(1)
    assertTrace(p.events, 'subprocess', { pipedFds: [0, 1, 2] })
  })
})

describe('signals', () => {
  it.each([
    ['kill()', (t: SubprocessTransport) => t.kill(), -SIG.SIGKILL],
    ['terminate()', (t: SubprocessTransport) => t.terminate(), -SIG.SIGTERM],
    ["sendSignal('SIGINT')", (t: SubprocessTransport) => t.sendSignal('SIGINT'), -SIG.SIGINT],
    ['sendSignal(SIGHUP as a number)', (t: SubprocessTransport) => t.sendSignal(SIG.SIGHUP), -SIG.SIGHUP],
  ])('%s ends a running child with minus that signal', async (_what, send, code) => {
    watchExceptions()
    const [t, p] = await runFixture('sleep.mjs')
    await untilText(p, 1, 'ready\n')
    send(t)
    await withTimeout(p.lost, T)
    expect(t.getReturncode()).toBe(code)
    expect(p.lostWith).toBe(null)
    assertTrace(p.events, 'subprocess', { pipedFds: [0, 1, 2] })
  })

  it('sendSignal(0) checks the child is there and changes nothing; unknown signals throw TypeError', async () => {
    const [t, p] = await runFixture('sleep.mjs')
    await untilText(p, 1, 'ready\n')
    t.sendSignal(0)
    for (const bad of ['SIGNOPE', 'sigterm', 999, -1, 1.5]) {
      expect(() => t.sendSignal(bad as never)).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_UNKNOWN_SIGNAL' }))
    }
    expect(() => t.sendSignal({} as never)).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }))
    expect(t.getReturncode()).toBe(null)
    expect(p.events).not.toContain('processExited')
  })

  it('after the exit but before connectionLost the signal calls are silent; after connectionLost they throw ESRCH', async () => {
    watchExceptions()
    const inExited: unknown[] = []
    const [t, p] = await runFixture('exit.mjs', ['0'], undefined, {
      onExited: (tr) => {
        for (const call of [() => tr.kill(), () => tr.terminate(), () => tr.sendSignal('SIGHUP')]) {
          try { call() } catch (err) { inExited.push(err) }
        }
      },
    })
    await withTimeout(p.lost, T)
    expect(inExited).toEqual([])
    expect(t.getReturncode()).toBe(0)
    for (const call of [() => t.kill(), () => t.terminate(), () => t.sendSignal('SIGTERM'), () => t.sendSignal(0)]) {
      expect(call).toThrow(expect.objectContaining({ code: 'ESRCH', syscall: 'kill', errno: -constants.errno.ESRCH }))
    }
    // a bad signal is still a TypeError, not ESRCH
    expect(() => t.sendSignal('SIGNOPE' as never)).toThrow(TypeError)
  })
})

describe('close()', () => {
  it('on a running child: closes the pipes, SIGKILLs it, then connectionLost(null), in this order', async () => {
    watchExceptions()
    const [t, p] = await runFixture('sleep.mjs')
    await untilText(p, 1, 'ready\n')
    t.close()
    expect(t.isClosing()).toBe(true)
    expect(t.getPipeTransport(0)!.isClosing()).toBe(true)
    expect(t.getPipeTransport(1)!.isReading()).toBe(false)
    t.close() // idempotent
    expect(p.events).toEqual(['connectionMade', 'pipeDataReceived(1)'])
    await withTimeout(p.lost, T)
    expect(p.lostWith).toBe(null)
    expect(t.getReturncode()).toBe(-SIG.SIGKILL)
    // asyncio test_close_kill_running: the pipes' ends, then the exit, then connectionLost
    expect(p.events.slice(0, 2)).toEqual(['connectionMade', 'pipeDataReceived(1)'])
    expect(p.events.slice(2, 5).sort()).toEqual(['pipeConnectionLost(0)', 'pipeConnectionLost(1)', 'pipeConnectionLost(2)'])
    expect(p.events.slice(5)).toEqual(['processExited', 'connectionLost'])
    expect([...p.pipeErrors.values()]).toEqual([null, null, null])
    t.close() // still idempotent after the end
  })

  it('does not signal a child that has exited; isClosing is true from close() and once the connection is lost', async () => {
    const [t, p] = await runFixture('exit.mjs', ['5'])
    await withTimeout(p.exited, T)
    // Bun reports the exit after the pipes closed: the connection is already lost by then
    if (!onBun) expect(t.isClosing()).toBe(false)
    t.close()
    expect(t.isClosing()).toBe(true)
    await withTimeout(p.lost, T)
    expect(t.getReturncode()).toBe(5)
    const [t2, p2] = await runFixture('exit.mjs', ['0'])
    await withTimeout(p2.lost, T)
    expect(t2.isClosing()).toBe(true) // SPEC: once the connection is lost (CPython says False here)
    expect(t2.getProtocol()).toBe(null)
  })
})

describe('a grandchild that keeps the pipes open', () => {
  it('processExited comes at the exit, connectionLost only once the grandchild closed stdout and stderr', async () => {
    watchExceptions()
    const [t, p] = await runFixture('grandchild.mjs', ['stdout'])
    await withTimeout(p.exited, T)
    await untilText(p, 1, '\n') // the grandchild's "G <pid>" line, printed once it listens for SIGUSR2
    const gpid = Number(/^G (\d+)$/m.exec(p.received(1).toString())![1])
    onTestFinished(() => killPid(gpid))
    expect(t.getReturncode()).toBe(0)
    // the child is gone, its stdin with it; the grandchild holds stdout and stderr
    await withTimeout(p.until(() => p.events.includes('pipeConnectionLost(0)')), T)
    expect(p.events).not.toContain('pipeConnectionLost(1)')
    expect(p.events).not.toContain('pipeConnectionLost(2)')
    expect(p.events).not.toContain('connectionLost')
    expect(t.isClosing()).toBe(false)
    process.kill(gpid, 'SIGUSR2') // the grandchild writes "late" and exits
    await withTimeout(p.lost, T)
    expect(p.received(1).toString()).toBe(`G ${gpid}\nlate\n`)
    const exitedAt = p.events.indexOf('processExited')
    expect(p.events.lastIndexOf('pipeDataReceived(1)')).toBeGreaterThan(exitedAt)
    expect(p.events.slice(-1)).toEqual(['connectionLost'])
    assertTrace(p.events, 'subprocess', { pipedFds: [0, 1, 2] })
  })
})

describe('a child that stops reading its stdin (EPIPE)', () => {
  it('writing to a running child that closed its stdin gives pipeConnectionLost(0, EPIPE), never a crash', async () => {
    watchExceptions()
    const [t, p] = await runFixture('close-stdin.mjs')
    await untilText(p, 1, 'closed\n')
    const stdin = t.getPipeTransport(0)!
    for (let i = 0; i < 64 && !p.events.includes('pipeConnectionLost(0)'); i++) {
      stdin.write(Buffer.alloc(256 * 1024))
      await new Promise((resolve) => setImmediate(resolve))
    }
    await withTimeout(p.until(() => p.events.includes('pipeConnectionLost(0)')), T)
    const err = p.pipeErrors.get(0) as NodeJS.ErrnoException
    expect(err.code).toBe('EPIPE')
    stdin.write('dropped') // after the pipe is gone: dropped, no throw
    expect(t.getReturncode()).toBe(null) // the child runs on
    expect(p.events).not.toContain('processExited')
    t.close()
    await withTimeout(p.lost, T)
    expect(p.lostWith).toBe(null)
    assertTrace(p.events, 'subprocess', { pipedFds: [0, 1, 2] })
  })

  it('a child that exits while its stdin pipe still holds our bytes: pipeConnectionLost(0, EPIPE)', async () => {
    // The grandchild inherits stdin and never reads it, so the kernel never reports EPIPE:
    // the bytes are still in the pipe transport when Node destroys stdin at the exit.
    watchExceptions()
    const [t, p] = await runFixture('grandchild.mjs', ['stdin'], undefined, {
      onConnectionMade: (tr) => { tr.getPipeTransport(0)!.write(Buffer.alloc(4 * 1024 * 1024)) },
    })
    await untilText(p, 1, '\n')
    onTestFinished(() => killPid(Number(/^G (\d+)$/m.exec(p.received(1).toString())![1])))
    await withTimeout(p.lost, T)
    const err = p.pipeErrors.get(0) as NodeJS.ErrnoException
    expect(err).toBeInstanceOf(Error)
    expect(err.code).toBe('EPIPE')
    expect(err.syscall).toBe('write')
    // Bun closes the child's stdin before it reports the exit (both orders are allowed)
    if (!onBun) expect(p.events.indexOf('processExited')).toBeLessThan(p.events.indexOf('pipeConnectionLost(0)'))
    expect(t.getReturncode()).toBe(0)
    expect(p.lostWith).toBe(null)
    assertTrace(p.events, 'subprocess', { pipedFds: [0, 1, 2] })
  })

  it('the same child with nothing left to write: pipeConnectionLost(0, null)', async () => {
    const [, p] = await runFixture('grandchild.mjs', ['stdin'])
    await untilText(p, 1, '\n')
    onTestFinished(() => killPid(Number(/^G (\d+)$/m.exec(p.received(1).toString())![1])))
    await withTimeout(p.lost, T)
    expect(p.pipeErrors.get(0)).toBe(null)
    assertTrace(p.events, 'subprocess', { pipedFds: [0, 1, 2] })
  })
})

describe('a protocol callback that throws is fatal', () => {
  it.each([
    ['pipeDataReceived', 'pipeDataReceived(1)', 'sleep.mjs', [] as string[], -SIG.SIGKILL],
    ['processExited', 'processExited', 'exit.mjs', ['0'], 0],
    ['pipeConnectionLost', 'pipeConnectionLost(0)', 'sleep.mjs', ['until-eof'], -SIG.SIGKILL],
  ])('%s: reported, the child SIGKILLed if running, the pipes closed, connectionLost(thatError)', async (callback, event, name, args, code) => {
    const { take } = watchExceptions()
    const error = new Error(`thrown by ${callback}`)
    const [t, p] = await runFixture(name, args, undefined, { throwIn: { callback, error } })
    if (callback === 'pipeConnectionLost') t.getPipeTransport(0)!.close() // the first pipe to close: stdin
    await withTimeout(p.lost, T)
    expect(p.lostWith).toBe(error)
    expect(t.getReturncode()).toBe(code)
    expect(t.isClosing()).toBe(true)
    const reports = take()
    expect(reports).toHaveLength(1)
    expect(reports[0]!.message).toBe(`Fatal error: protocol.${callback}() call failed.`)
    expect(reports[0]!.exception).toBe(error)
    expect(p.count(event)).toBe(1)
    // the state machine still holds: one exit, every pipe's end, connectionLost last
    assertTrace(p.events, 'subprocess', { pipedFds: [0, 1, 2] })
    expect(() => t.kill()).toThrow(expect.objectContaining({ code: 'ESRCH' }))
  })

  it('connectionMade: subprocessExec rejects with the error, the child is killed, connectionLost(thatError)', async () => {
    const { take } = watchExceptions()
    const error = new Error('thrown by connectionMade')
    const p = recorder({ throwIn: { callback: 'connectionMade', error } })
    await expect(subprocessExec(() => p, process.execPath, [fixture('sleep.mjs')])).rejects.toBe(error)
    await withTimeout(p.lost, T)
    expect(p.lostWith).toBe(error)
    expect(p.transport!.getReturncode()).toBe(-SIG.SIGKILL)
    expect(p.events.filter((e) => e.startsWith('pipeDataReceived'))).toEqual([])
    assertTrace(p.events, 'subprocess', { pipedFds: [0, 1, 2] })
    expect(take().map((c) => c.message)).toEqual(['Fatal error: protocol.connectionMade() call failed.'])
  })

  it('a throwing connectionLost is reported; a throwing pauseWriting is reported and the child goes on', async () => {
    const { take } = watchExceptions()
    const [t, p] = await runFixture('sleep.mjs', [], undefined, {
      onPauseWriting: () => { throw new Error('pause failed') },
      onConnectionLost: () => { throw new Error('lost failed') },
    })
    await untilText(p, 1, 'ready\n')
    t.getPipeTransport(0)!.write(Buffer.alloc(1024 * 1024))
    expect(take().map((c) => c.message)).toEqual(['protocol.pauseWriting() failed'])
    expect(t.isClosing()).toBe(false)
    expect(t.getReturncode()).toBe(null)
    t.close()
    await withTimeout(p.lost, T)
    expect(p.lostWith).toBe(null)
    expect(take().map((c) => c.message)).toEqual(['protocol.connectionLost() failed'])
    expect(() => t.terminate()).toThrow(expect.objectContaining({ code: 'ESRCH' }))
  })
})
