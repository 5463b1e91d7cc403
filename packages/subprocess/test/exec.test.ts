import { chmodSync, closeSync, openSync, readFileSync, realpathSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, it, onTestFinished } from 'vitest'
import { assertTrace, tempDir, withTimeout } from '@wireline/core/testing'
import { subprocessExec, subprocessShell } from '../src/index.js'
import type { SubprocessTransport } from '../src/index.js'
import { T, cleanup, fixture, recorder, runFixture, watchExceptions } from './helpers.js'
import type { Recorder } from './helpers.js'

const onBun = 'Bun' in globalThis

describe('subprocessExec: starting a child', () => {
  it('calls connectionMade before the promise resolves and before any other callback', async () => {
    watchExceptions()
    const order: string[] = []
    let eventsAtResolve = -1
    let made: SubprocessTransport | null = null
    const pending = subprocessExec(() => recorder({
      onConnectionMade: (t) => { made = t; order.push('connectionMade') },
    }), process.execPath, [fixture('exit.mjs'), '0'])
    const [t, p] = await withTimeout(pending, T)
    eventsAtResolve = p.events.length
    order.push('resolved')
    cleanup(t, p)
    expect(order).toEqual(['connectionMade', 'resolved'])
    // The contract is connectionMade first and the promise after it. Node emits 'spawn' on a
    // tick of its own, before any pipe event, so nothing else has come by then; Bun may queue
    // the child's output and exit on the same tick as 'spawn', ahead of the promise's
    // continuation, and they then come between (asyncio's own pending calls can too).
    if (onBun) expect(eventsAtResolve).toBeGreaterThanOrEqual(1)
    else expect(eventsAtResolve).toBe(1)
    expect(made).toBe(t)
    await withTimeout(p.lost, T)
    expect(p.events[0]).toBe('connectionMade')
    expect(p.events.at(-1)).toBe('connectionLost')
    assertTrace(p.events, 'subprocess', { pipedFds: [0, 1, 2] })
    expect(p.received(1).toString()).toBe('out\n')
    expect(p.received(2).toString()).toBe('err\n')
    expect(p.lostWith).toBe(null)
  })

  it('resolves to [transport, protocol]: pid, pipe transports, extra info, returncode null while running', async () => {
    let calls = 0
    const made = recorder()
    const [t, p] = await subprocessExec(() => { calls++; return made }, process.execPath, [fixture('sleep.mjs')])
    cleanup(t, p)
    expect(p).toBe(made)
    expect(calls).toBe(1)
    expect(t.getProtocol()).toBe(made)
    const child = t.getExtraInfo('subprocess')!
    expect(Number.isInteger(t.getPid()) && t.getPid() > 0).toBe(true)
    expect(child.pid).toBe(t.getPid())
    expect(t.getExtraInfo('nope')).toBe(undefined)
    expect(t.getExtraInfo('nope', 42)).toBe(42)
    expect(t.getReturncode()).toBe(null)
    expect(t.isClosing()).toBe(false)
    const stdin = t.getPipeTransport(0)!
    expect(typeof stdin.write).toBe('function')
    expect(stdin.canWriteEof()).toBe(true)
    expect(stdin.getWriteBufferLimits()).toEqual([16384, 65536])
    const stdout = t.getPipeTransport(1)!
    expect(stdout.isReading()).toBe(true)
    expect(t.getPipeTransport(2)!.isReading()).toBe(true)
    expect(t.getPipeTransport(3)).toBe(null)
    expect(t.getPipeTransport(-1)).toBe(null)
    expect(() => t.getPipeTransport('1' as never)).toThrow(TypeError)
    expect(stdout.getExtraInfo('pipe')).toBe(child.stdout)
    expect(String(t)).toMatch(new RegExp(`^<ChildProcessTransport pid=${t.getPid()} running open>$`))
    t.close()
    await withTimeout(p.lost, T)
    // still answers once the connection is lost
    expect(t.getExtraInfo('subprocess')).toBe(child)
    expect(t.getPid()).toBe(child.pid)
    expect(t.getProtocol()).toBe(null)
  })

  it('never passes the arguments through a shell', async () => {
    const args = ['$HOME', '`id`', 'a;b', '*', '"quoted" \'single\'', '&& exit 3']
    const [t, p] = await subprocessExec(() => recorder(), '/bin/echo', args)
    cleanup(t, p)
    await withTimeout(p.lost, T)
    expect(p.received(1).toString()).toBe(args.join(' ') + '\n')
    expect(t.getReturncode()).toBe(0)
  })

  it('subprocessShell runs the command with /bin/sh -c', async () => {
    const [t, p] = await subprocessShell(() => recorder(), 'echo "$WL_WORD" | tr a-z A-Z; echo "$0" >&2; exit 7',
      { env: { WL_WORD: 'shell words', PATH: process.env.PATH } })
    cleanup(t, p)
    await withTimeout(p.lost, T)
    expect(p.received(1).toString()).toBe('SHELL WORDS\n')
    expect(p.received(2).toString()).toBe('/bin/sh\n')
    expect(t.getReturncode()).toBe(7)
    assertTrace(p.events, 'subprocess', { pipedFds: [0, 1, 2] })
  })

  it('runs in cwd with env as the whole environment; without env the child inherits ours', async () => {
    const dir = tempDir()
    onTestFinished(dir.cleanup)
    process.env.WL_ONLY_IN_PARENT = 'parent'
    onTestFinished(() => { delete process.env.WL_ONLY_IN_PARENT })
    const read = async (p: Recorder): Promise<{ cwd: string, env: Record<string, string> }> => {
      await withTimeout(p.lost, T)
      return JSON.parse(p.received(1).toString())
    }
    const [t1, p1] = await runFixture('env.mjs', [], { cwd: dir.path, env: { WL_FOO: 'bar' } })
    const r1 = await read(p1)
    expect(r1.cwd).toBe(realpathSync(dir.path))
    expect(r1.env.WL_FOO).toBe('bar')
    expect(r1.env.WL_ONLY_IN_PARENT).toBe(undefined)
    expect(t1.getReturncode()).toBe(0)
    const [, p2] = await runFixture('env.mjs', [], { cwd: pathToFileURL(dir.path) })
    const r2 = await read(p2)
    expect(r2.cwd).toBe(realpathSync(dir.path))
    expect(r2.env.WL_ONLY_IN_PARENT).toBe('parent')
  })
})

describe('subprocessExec: a program that cannot start', () => {
  it('rejects with ENOENT and calls no protocol callback', async () => {
    watchExceptions()
    const made: Recorder[] = []
    const err = await subprocessExec(() => { const p = recorder(); made.push(p); return p },
      '/nonexistent/wireline-no-such-program', ['x']).catch((e: unknown) => e) as NodeJS.ErrnoException
    expect(err).toBeInstanceOf(Error)
    expect(err.code).toBe('ENOENT')
    expect(err.syscall).toBe('spawn /nonexistent/wireline-no-such-program')
    // asyncio makes the protocol first, then the process: the protocol exists, untouched
    expect(made).toHaveLength(1)
    expect(made[0]!.events).toEqual([])
  })

  it('rejects with EACCES for a file that is not executable, and ENOENT for a missing cwd', async () => {
    const dir = tempDir()
    onTestFinished(dir.cleanup)
    const script = join(dir.path, 'not-executable.sh')
    writeFileSync(script, '#!/bin/sh\necho hi\n')
    chmodSync(script, 0o644)
    const p = recorder()
    const err = await subprocessExec(() => p, script).catch((e: unknown) => e) as NodeJS.ErrnoException
    expect(err.code).toBe('EACCES')
    expect(p.events).toEqual([])
    const q = recorder()
    const err2 = await subprocessExec(() => q, process.execPath, ['-e', '0'], { cwd: join(dir.path, 'missing') })
      .catch((e: unknown) => e) as NodeJS.ErrnoException
    expect(err2.code).toBe('ENOENT')
    expect(q.events).toEqual([])
  })

  it("rejects with ENOENT with stderr: 'stdout' too (its own socket pair is released)", async () => {
    const p = recorder()
    const err = await subprocessExec(() => p, '/nonexistent/wireline-no-such-program', [], { stderr: 'stdout' })
      .catch((e: unknown) => e) as NodeJS.ErrnoException
    expect(err.code).toBe('ENOENT')
    expect(p.events).toEqual([])
  })

  it('a factory that throws rejects with its error; one that returns no object rejects with TypeError', async () => {
    const boom = new Error('factory failed')
    await expect(subprocessExec(() => { throw boom }, process.execPath, ['-e', '0'])).rejects.toBe(boom)
    await expect(subprocessExec(() => null as never, process.execPath, ['-e', '0'])).rejects.toThrow(TypeError)
  })
})

describe('subprocessExec / subprocessShell: bad arguments throw at the call', () => {
  let made = 0
  const f = (): Recorder => { made++; return recorder() }
  const node = process.execPath

  it.each([
    ['a factory that is not a function', () => subprocessExec(null as never, node), TypeError, /factory must be a function/],
    ['a program that is not a string', () => subprocessExec(f, 42 as never), TypeError, /program must be a string/],
    ['an empty program', () => subprocessExec(f, ''), TypeError, /program must not be empty/],
    ['options in place of args', () => subprocessExec(f, node, { cwd: '/' } as never), TypeError, /options come fourth/],
    ['an argument that is not a string', () => subprocessExec(f, node, ['-e', 1 as never]), TypeError, /args\[1\] must be a string/],
    ['options that are not an object', () => subprocessExec(f, node, [], 'pipe' as never), TypeError, /options must be an object/],
    ['shell: true', () => subprocessExec(f, node, [], { shell: true } as never), TypeError, /never runs a shell/],
    ['text: true', () => subprocessExec(f, node, [], { text: true } as never), TypeError, /carry bytes/],
    ['encoding', () => subprocessExec(f, node, [], { encoding: 'utf8' } as never), TypeError, /carry bytes/],
    ['universalNewlines', () => subprocessExec(f, node, [], { universalNewlines: true } as never), TypeError, /carry bytes/],
    ['errors', () => subprocessExec(f, node, [], { errors: 'strict' } as never), TypeError, /carry bytes/],
    ['bufsize', () => subprocessExec(f, node, [], { bufsize: 1 } as never), TypeError, /bufsize/],
    ['an unknown option', () => subprocessExec(f, node, [], { detached: true } as never), TypeError, /unknown option 'detached'/],
    ["stdin: 'stdout'", () => subprocessExec(f, node, [], { stdin: 'stdout' as never }), TypeError, /stdin must be one of/],
    ['stdout: an unknown word', () => subprocessExec(f, node, [], { stdout: 'file' as never }), TypeError, /stdout must be one of/],
    ['stderr: an object', () => subprocessExec(f, node, [], { stderr: {} as never }), TypeError, /stderr must be one of/],
    ['a negative fd', () => subprocessExec(f, node, [], { stdout: -1 }), RangeError, /file descriptor/],
    ['a fractional fd', () => subprocessExec(f, node, [], { stdin: 1.5 }), RangeError, /file descriptor/],
    ['cwd: a number', () => subprocessExec(f, node, [], { cwd: 5 as never }), TypeError, /cwd must be a string or a URL/],
    ['env: an array', () => subprocessExec(f, node, [], { env: [] as never }), TypeError, /env must be an object/],
    ['env: a value that is not a string', () => subprocessExec(f, node, [], { env: { A: 1 } as never }), TypeError, /env\.A must be a string/],
    ['a shell command that is not a string', () => subprocessShell(f, ['ls'] as never), TypeError, /command must be a string/],
    ['shell options too', () => subprocessShell(f, 'true', { shell: false } as never), TypeError, /subprocessShell: option 'shell'/],
    ['a null byte in the program', () => subprocessExec(f, 'no\0de'), TypeError, /program must not contain null bytes/],
    ['a null byte in an argument', () => subprocessExec(f, node, ['-e', '0\0']), TypeError, /args\[1\] must not contain null bytes/],
    ['a null byte in cwd', () => subprocessExec(f, node, [], { cwd: '/tmp\0' }), TypeError, /cwd must not contain null bytes/],
    ['a null byte in env', () => subprocessExec(f, node, [], { env: { A: 'b\0' } }), TypeError, /env\.A must not contain null bytes/],
    ['a null byte in a shell command', () => subprocessShell(f, 'true\0'), TypeError, /command must not contain null bytes/],
    ['an empty shell command (as an empty program)', () => subprocessShell(f, ''), TypeError, /command must not be empty/],
    ['an unknown shell option', () => subprocessShell(f, 'true', { detatched: true } as never), TypeError, /subprocessShell\(\): unknown option 'detatched'/],
    ['a class as the factory', () => subprocessExec(class Rec {} as never, node), TypeError, /got the class Rec: pass \(\) => new Rec\(\)/],
  ])('%s: a clear error, thrown before any promise or child exists', (_what, call, type, message) => {
    made = 0
    let err: (Error & { code?: string }) | undefined
    try {
      void call()
    } catch (e) {
      err = e as Error & { code?: string }
    }
    expect(err).toBeInstanceOf(type)
    expect(err!.message).toMatch(message)
    expect(err!.code).toMatch(/^ERR_/)
    expect(made).toBe(0)
  })
})

describe('stdio options', () => {
  it("'ignore' everywhere: no pipe transports, and the trace is connectionMade, processExited, connectionLost", async () => {
    const [t, p] = await runFixture('exit.mjs', ['4'], { stdin: 'ignore', stdout: 'ignore', stderr: 'ignore' })
    expect([0, 1, 2].map((fd) => t.getPipeTransport(fd))).toEqual([null, null, null])
    await withTimeout(p.lost, T)
    expect(p.events).toEqual(['connectionMade', 'processExited', 'connectionLost'])
    expect(t.getReturncode()).toBe(4)
  })

  it("stdin 'inherit' (or null, asyncio's None) makes no pipe for fd 0", async () => {
    for (const stdin of ['inherit', null] as const) {
      const [t, p] = await runFixture('exit.mjs', ['0'], { stdin })
      expect(t.getPipeTransport(0)).toBe(null)
      await withTimeout(p.lost, T)
      assertTrace(p.events, 'subprocess', { pipedFds: [1, 2] })
      expect(p.events).not.toContain('pipeConnectionLost(0)')
    }
  })

  it('a file descriptor: the child writes straight into it', async () => {
    const dir = tempDir()
    onTestFinished(dir.cleanup)
    const file = join(dir.path, 'out.txt')
    const fd = openSync(file, 'w')
    onTestFinished(() => closeSync(fd))
    const [t, p] = await runFixture('exit.mjs', ['0'], { stdout: fd })
    expect(t.getPipeTransport(1)).toBe(null)
    await withTimeout(p.lost, T)
    expect(readFileSync(file, 'utf8')).toBe('out\n')
    expect(p.received(2).toString()).toBe('err\n')
    assertTrace(p.events, 'subprocess', { pipedFds: [0, 2] })
    expect(p.events.filter((e) => e.endsWith('(1)'))).toEqual([])
  })

  it("stderr: 'stdout' merges stderr into the stdout pipe, in the order written; no fd 2", async () => {
    watchExceptions()
    const [t, p] = await runFixture('merged.mjs', [], { stderr: 'stdout' })
    expect(t.getPipeTransport(2)).toBe(null)
    expect(t.getPipeTransport(1)!.isReading()).toBe(true)
    await withTimeout(p.lost, T)
    const expected = [0, 1, 2, 3, 4].map((i) => `out${i}\nerr${i}\n`).join('')
    expect(p.received(1).toString()).toBe(expected)
    expect(p.events.filter((e) => e.endsWith('(2)'))).toEqual([])
    assertTrace(p.events, 'subprocess', { pipedFds: [0, 1] })
    expect(t.getReturncode()).toBe(0)
  })

  it("stderr: 'stdout' with stdout in a file puts both in the file, in order", async () => {
    const dir = tempDir()
    onTestFinished(dir.cleanup)
    const file = join(dir.path, 'merged.txt')
    const fd = openSync(file, 'w')
    onTestFinished(() => closeSync(fd))
    const [t, p] = await runFixture('merged.mjs', [], { stdout: fd, stderr: 'stdout' })
    expect(t.getPipeTransport(1)).toBe(null)
    expect(t.getPipeTransport(2)).toBe(null)
    await withTimeout(p.lost, T)
    expect(readFileSync(file, 'utf8')).toBe([0, 1, 2, 3, 4].map((i) => `out${i}\nerr${i}\n`).join(''))
    expect(p.events).toEqual(expect.arrayContaining(['connectionMade', 'processExited', 'pipeConnectionLost(0)', 'connectionLost']))
  })
})
