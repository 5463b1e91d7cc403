import { spawn } from 'node:child_process'
import type { ChildProcess, SpawnOptions, StdioOptions } from 'node:child_process'
import type * as net from 'node:net'
import { abortError } from '@wireline/core/machinery'
import { ChildProcessTransport } from './child-process-transport.js'
import type { SubprocessProtocolShape } from './protocol.js'
import type { SocketPair } from './socket-pair.js'
import type { SubprocessTransport } from './transport.js'

/** One of the child's stdio as `launch` takes it (validated by the entry points). */
export type Stdio = 'pipe' | 'inherit' | 'ignore' | number

/** What `launch` needs of the validated call. */
export interface LaunchSettings {
  stdin: Stdio
  stdout: Stdio
  stderr: Stdio | 'stdout'
  cwd: string | URL | undefined
  env: Record<string, string | undefined> | undefined
  signal: AbortSignal | null
}

type Started = [SubprocessTransport, SubprocessProtocolShape]

/**
 * The start of one child, kept on the child between `spawn()` and Node's `'spawn'` or
 * `'error'`: the child's listeners are functions every start shares, which find it there (a
 * closure per child and event adds up when a server runs a child per request). It is also the
 * listener of the call's abort signal (`handleEvent`), until the child has exited.
 */
class Start {
  readonly child: ChildProcess
  readonly transport: ChildProcessTransport
  readonly protocol: SubprocessProtocolShape
  readonly signal: AbortSignal | null
  readonly resolve: (started: Started) => void
  readonly reject: (err: Error) => void
  /** Node's `'spawn'` came: an abort from now on kills the child, which the protocol sees exit. */
  running = false

  constructor (
    child: ChildProcess, transport: ChildProcessTransport, protocol: SubprocessProtocolShape, signal: AbortSignal | null,
    resolve: (started: Started) => void, reject: (err: Error) => void,
  ) {
    this.child = child
    this.transport = transport
    this.protocol = protocol
    this.signal = signal
    this.resolve = resolve
    this.reject = reject
  }

  /** The signal's `'abort'`. */
  handleEvent (): void {
    const child = this.child
    if (this.running) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      return
    }
    // Aborted while the child starts: no protocol callback, the child killed, AbortError.
    settled(child, this)
    child.on('error', ignore) // a spawn failure now has nobody to tell
    child.kill('SIGKILL')
    this.transport._spawnFailed()
    this.reject(abortError(this.signal))
  }
}

const kStart = Symbol('wireline.subprocessStart')

interface StartHolder { [kStart]?: Start }

function holder (child: ChildProcess): StartHolder {
  return child as unknown as StartHolder
}

function startOf (child: ChildProcess): Start {
  return holder(child)[kStart]!
}

function ignore (): void {}

/** Node's `'spawn'`: `connectionMade`, then resolve (or reject with what it threw). */
function onChildSpawn (this: ChildProcess): void {
  const start = startOf(this)
  if (start.signal !== null) {
    start.running = true
    this.on('exit', onChildExit)
  }
  settled(this, start)
  const error = start.transport._start()
  if (error !== null) start.reject(error)
  else start.resolve([start.transport, start.protocol])
}

/** Node's `'error'` before `'spawn'`: the program could not start; no protocol callback. */
function onChildSpawnError (this: ChildProcess, err: Error): void {
  const start = startOf(this)
  settled(this, start)
  start.signal?.removeEventListener('abort', start)
  start.transport._spawnFailed()
  start.reject(err)
}

/** The child exited: its abort signal (which may outlive it, shared by many) lets go of it. */
function onChildExit (this: ChildProcess): void {
  const start = startOf(this)
  this.off('exit', onChildExit)
  start.signal!.removeEventListener('abort', start)
  holder(this)[kStart] = undefined
}

/** The start is decided: Node's start events go, and so does the start unless a signal may still kill the child. */
function settled (child: ChildProcess, start: Start): void {
  child.off('spawn', onChildSpawn)
  child.off('error', onChildSpawnError)
  if (!start.running) holder(child)[kStart] = undefined
}

/**
 * Spawns the child and wraps it at once (its pipes' events are never missed); settles on
 * Node's `'spawn'` (connectionMade, then resolve) or `'error'` (reject, no protocol callback).
 * With `pair` (stderr merged into piped stdout), both fds are the pair's far end.
 */
export function launch<P extends SubprocessProtocolShape> (
  protocol: P, file: string, args: readonly string[], o: LaunchSettings, shell: boolean, pair: SocketPair | null,
): Promise<[SubprocessTransport, P]> {
  let child: ChildProcess
  try {
    const options = spawnOptions(o, shell, pair)
    child = options === undefined ? spawn(file, args) : spawn(file, args, options)
  } catch (err) {
    pair?.ours.destroy()
    throw err
  } finally {
    // The child has its own copy of this end now (or there is no child).
    pair?.theirs.destroy()
  }
  // With stdio 'pipe' Node gives net.Sockets over socketpairs (typed as plain streams).
  const transport = new ChildProcessTransport(child, protocol, {
    stdin: child.stdin as net.Socket | null,
    stdout: pair === null ? child.stdout as net.Socket | null : pair.ours,
    stdoutOnread: pair !== null,
    stderr: pair === null ? child.stderr as net.Socket | null : null,
  })
  const signal = o.signal
  return new Promise((resolve, reject) => {
    const start = new Start(child, transport, protocol, signal, resolve as (started: Started) => void, reject)
    holder(child)[kStart] = start
    child.on('spawn', onChildSpawn)
    child.on('error', onChildSpawnError)
    signal?.addEventListener('abort', start, { once: true })
  })
}

/**
 * Node's options for the call, with only what differs from its defaults (three pipes, the
 * parent's cwd and environment, no shell): Node copies what it is given, per child.
 */
function spawnOptions (o: LaunchSettings, shell: boolean, pair: SocketPair | null): SpawnOptions | undefined {
  let stdio: StdioOptions | undefined
  if (pair !== null) {
    stdio = [o.stdin, pair.theirs, pair.theirs]
  } else {
    // stderr 'stdout' with stdout not piped: fd 2 goes where fd 1 goes
    const stderr = o.stderr !== 'stdout' ? o.stderr : o.stdout === 'inherit' ? 1 : o.stdout
    if (o.stdin !== 'pipe' || o.stdout !== 'pipe' || stderr !== 'pipe') stdio = [o.stdin, o.stdout, stderr]
  }
  if (stdio === undefined && o.cwd === undefined && o.env === undefined && !shell) return undefined
  const options: SpawnOptions = {}
  if (stdio !== undefined) options.stdio = stdio
  if (o.cwd !== undefined) options.cwd = o.cwd
  if (o.env !== undefined) options.env = o.env
  if (shell) options.shell = true
  return options
}
