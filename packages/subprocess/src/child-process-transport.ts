import type { ChildProcess } from 'node:child_process'
import type * as net from 'node:net'
import { callExceptionHandler } from '@wireline/core'
import {
  READ_PIPE, StreamTransport, WRITE_PIPE, asError, checkProtocol, invalidArgType, kTransport, publishConnectionLost,
  publishConnectionMade,
} from '@wireline/core/machinery'
import type { AnyProtocol, ReadTransport, WriteTransport } from '@wireline/core'
import { ReadSubprocessPipeProto, WriteSubprocessPipeProto } from './pipe-protocols.js'
import type { PipeOwner } from './pipe-protocols.js'
import type { SubprocessProtocolShape } from './protocol.js'
import { epipeError, esrchError, returncodeOf, validateSignal } from './signals.js'
import type { Signal, SubprocessTransport } from './transport.js'

/** The child's stdio as the transport gets it: a socket per piped fd, `null` for the others. */
export interface ChildStdio {
  stdin: net.Socket | null
  stdout: net.Socket | null
  /** True when stdout is our own socket pair (`stderr: 'stdout'`), which reads through `ONREAD`. */
  stdoutOnread?: boolean
  stderr: net.Socket | null
}

const kChildTransport = Symbol('wireline.childProcessTransport')

interface TransportHolder { [kChildTransport]?: ChildProcessTransport }

function transportOf (child: ChildProcess): ChildProcessTransport {
  return (child as unknown as TransportHolder)[kChildTransport]!
}

type Callback = 'connectionMade' | 'pipeDataReceived' | 'pipeConnectionLost' | 'processExited'

/**
 * A child process with asyncio's subprocess semantics (asyncio `BaseSubprocessTransport`,
 * uvloop `UVProcessTransport`). Each piped fd is one of core's pipe transports; their
 * protocols (`pipe-protocols.ts`) forward here.
 *
 * - Events become callbacks: the child's `'exit'` → `processExited`; each pipe transport's
 *   `connectionLost` → `pipeConnectionLost(fd, exc)`; `connectionLost` once the exit and every
 *   pipe are done (not Node's `'close'`, which ignores stdin and would add nothing).
 * - Events before `connectionMade` are held and replayed right after it.
 * - Node destroys the child's stdin itself when the child exits, dropping what was still
 *   buffered, and the socket then closes without an error. asyncio reports a reader that went
 *   away while bytes were pending as `BrokenPipeError`, so when the stdin pipe still held bytes
 *   at the exit, its `pipeConnectionLost(0, err)` carries an EPIPE error.
 * - A throwing protocol callback is fatal (reported, pipes aborted, child SIGKILLed,
 *   `connectionLost(thatError)`); the callbacks that still have to come to complete the state
 *   machine (`pipeConnectionLost`, `processExited`) still come, data does not.
 */
export class ChildProcessTransport implements SubprocessTransport, PipeOwner {
  readonly #child: ChildProcess
  readonly #pid: number
  readonly #pipes: [StreamTransport | null, StreamTransport | null, StreamTransport | null] = [null, null, null]
  /** The stdin pipe transport's `connectionLost` has come. */
  #stdinLost = false

  #protocol: SubprocessProtocolShape | null
  /** Events waiting for `connectionMade` (an array from the first one on). */
  #held: Array<() => void> | null = null
  /** `connectionMade` has run and the events held until then were replayed. */
  #made = false
  #failed = false
  #openPipes = 0
  #exited = false
  #returncode: number | null = null
  #closed = false
  #fatalError: Error | null = null
  #lost = false
  #stdinBroken: Error | null = null
  #killError: Error | null = null

  constructor (child: ChildProcess, protocol: SubprocessProtocolShape, stdio: ChildStdio) {
    this.#child = child
    this.#pid = child.pid ?? 0
    this.#protocol = protocol
    ;(child as unknown as TransportHolder)[kChildTransport] = this
    child.on('exit', ChildProcessTransport.#onChildExit)
    child.on('error', ChildProcessTransport.#onChildError)
    if (stdio.stdin !== null) {
      this.#pipes[0] = new StreamTransport({
        socket: stdio.stdin, protocol: new WriteSubprocessPipeProto(this), kind: WRITE_PIPE, extra: { pipe: stdio.stdin }, instrument: false,
      })
      this.#openPipes++
    }
    if (stdio.stdout !== null) {
      this.#pipes[1] = this.#readPipe(stdio.stdout, 1, stdio.stdoutOnread ?? false)
    }
    if (stdio.stderr !== null) {
      this.#pipes[2] = this.#readPipe(stdio.stderr, 2, false)
    }
  }

  #readPipe (socket: net.Socket, fd: number, onread: boolean): StreamTransport {
    // (Node resumes the stdio streams of a child that exited; core's pipe transport keeps a
    // paused pipe paused through that.)
    const pipe = new StreamTransport({
      socket, protocol: new ReadSubprocessPipeProto(this, fd), kind: READ_PIPE, onread, extra: { pipe: socket }, instrument: false,
    })
    this.#openPipes++
    return pipe
  }

  get [kTransport] (): true { return true }

  // ---------------------------------------------------------------- start

  /**
   * The child has started (Node's `'spawn'`): starts the pipes, calls `connectionMade`, then
   * replays what happened before it. Returns the error `connectionMade` threw, or null.
   * @internal for `subprocessExec`
   */
  _start (): Error | null {
    for (const pipe of this.#pipes) if (pipe !== null) pipe.start()
    let error: Error | null = null
    const protocol = this.#protocol
    try {
      protocol?.connectionMade?.(this)
    } catch (err) {
      error = asError(err)
      this.#fatal(error, 'connectionMade')
    }
    if (error === null) publishConnectionMade(this, protocol)
    const held = this.#held
    // (what the replayed callbacks cause meanwhile is held behind them: `#made` is still false)
    if (held !== null) for (let i = 0; i < held.length; i++) held[i]!()
    this.#held = null
    this.#made = true
    this.#tryFinish()
    return error
  }

  /**
   * The child could not start (Node's `'error'` before `'spawn'`): no protocol callback will
   * ever run; the pipes are released.
   * @internal for `subprocessExec`
   */
  _spawnFailed (): void {
    this.#failed = true
    this.#held = null
    for (const pipe of this.#pipes) pipe?.abort()
  }

  // ---------------------------------------------------------------- events
  // Each event is delivered at once, or queued (as a closure) while connectionMade has not run.

  #hold (event: () => void): void {
    if (this.#held === null) this.#held = [event]
    else this.#held.push(event)
  }

  // The child's listeners are functions every transport shares, which find theirs through the
  // child (a closure per child and event adds up when a server runs a child per request).
  static readonly #onChildExit = function (this: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    transportOf(this).#onExit(code, signal)
  }

  static readonly #onChildError = function (this: ChildProcess, err: Error): void {
    // After a successful start Node emits 'error' only for a failed kill() (EPERM): sendSignal
    // picks it up and throws it.
    transportOf(this).#killError = err
  }

  #onExit (code: number | null, signal: NodeJS.Signals | null): void {
    this.#returncode = returncodeOf(code, signal)
    // Node has just destroyed the child's stdin (before emitting 'exit'); what it still held
    // is lost: asyncio's BrokenPipeError.
    const stdin = this.#pipes[0]
    if (stdin !== null && !this.#stdinLost && stdin.getWriteBufferSize() > 0) this.#stdinBroken = epipeError()
    if (this.#failed) return
    if (!this.#made) this.#hold(() => { this.#processExited() })
    else this.#processExited()
  }

  #processExited (): void {
    this.#exited = true
    const protocol = this.#protocol
    try {
      protocol?.processExited?.()
    } catch (err) {
      this.#fatal(asError(err), 'processExited')
    }
    this.#tryFinish()
  }

  /** @internal */
  _pipeDataReceived (fd: number, data: Uint8Array): void {
    if (this.#failed) return
    if (!this.#made) this.#hold(() => { this.#pipeDataReceived(fd, data) })
    else this.#pipeDataReceived(fd, data)
  }

  #pipeDataReceived (fd: number, data: Uint8Array): void {
    if (this.#fatalError !== null || this.#lost) return
    const protocol = this.#protocol
    try {
      protocol?.pipeDataReceived?.(fd, data)
    } catch (err) {
      this.#fatal(asError(err), 'pipeDataReceived')
    }
  }

  /** @internal */
  _pipeConnectionLost (fd: number, exc: Error | null): void {
    if (fd === 0) this.#stdinLost = true
    if (this.#failed) return
    const error = exc ?? (fd === 0 ? this.#stdinBroken : null)
    if (!this.#made) this.#hold(() => { this.#pipeConnectionLost(fd, error) })
    else this.#pipeConnectionLost(fd, error)
  }

  #pipeConnectionLost (fd: number, exc: Error | null): void {
    this.#openPipes--
    const protocol = this.#protocol
    try {
      protocol?.pipeConnectionLost?.(fd, exc)
    } catch (err) {
      this.#fatal(asError(err), 'pipeConnectionLost')
    }
    this.#tryFinish()
  }

  /** @internal stdin's flow control, synchronous as core calls it */
  _pauseWriting (): void {
    this.#flow('pauseWriting')
  }

  /** @internal */
  _resumeWriting (): void {
    this.#flow('resumeWriting')
  }

  #flow (name: 'pauseWriting' | 'resumeWriting'): void {
    if (this.#lost || this.#failed) return
    const protocol = this.#protocol
    try {
      protocol?.[name]?.()
    } catch (exception) {
      callExceptionHandler({ message: `protocol.${name}() failed`, exception, transport: this, protocol })
    }
  }

  /** A protocol callback threw: fatal the first time, only reported after that. */
  #fatal (error: Error, callback: Callback): void {
    callExceptionHandler({
      message: `Fatal error: protocol.${callback}() call failed.`,
      exception: error,
      transport: this,
      protocol: this.#protocol,
    })
    if (this.#fatalError !== null || this.#lost) return
    this.#fatalError = error
    for (const pipe of this.#pipes) pipe?.abort()
    this.#killIfRunning()
  }

  /** asyncio `_try_finish`: connectionLost once the exit and every pipe's end were delivered. */
  #tryFinish (): void {
    if (this.#lost || !this.#made || !this.#exited || this.#openPipes > 0) return
    this.#lost = true
    const protocol = this.#protocol
    try {
      protocol?.connectionLost?.(this.#fatalError)
    } catch (exception) {
      callExceptionHandler({ message: 'protocol.connectionLost() failed', exception, transport: this, protocol })
    } finally {
      this.#protocol = null
    }
    publishConnectionLost(this, protocol, this.#fatalError)
  }

  // ---------------------------------------------------------------- the transport

  getPid (): number {
    return this.#pid
  }

  getReturncode (): number | null {
    return this.#returncode
  }

  getPipeTransport (fd: 0): WriteTransport | null
  getPipeTransport (fd: 1 | 2): ReadTransport | null
  getPipeTransport (fd: number): WriteTransport | ReadTransport | null
  getPipeTransport (fd: number): WriteTransport | ReadTransport | null {
    if (typeof fd !== 'number') throw invalidArgType(`fd must be a number, got ${fd === null ? 'null' : typeof fd}`)
    return fd === 0 || fd === 1 || fd === 2 ? this.#pipes[fd] : null
  }

  kill (): void {
    this.sendSignal('SIGKILL')
  }

  terminate (): void {
    this.sendSignal('SIGTERM')
  }

  sendSignal (signal: Signal): void {
    const sig = validateSignal(signal)
    if (this.#lost) throw esrchError()
    // asyncio: silent on a child that exited but whose connection is not lost yet.
    if (this.#returncode !== null || !this.#running()) return
    this.#killError = null
    this.#child.kill(sig)
    const err = this.#killError
    this.#killError = null
    if (err !== null) throw err
  }

  close (): void {
    if (this.#closed) return
    this.#closed = true
    // asyncio: each pipe's close() (stdin flushes first), then SIGKILL a child still running.
    for (const pipe of this.#pipes) pipe?.close()
    this.#killIfRunning()
  }

  isClosing (): boolean {
    return this.#closed || this.#lost || this.#fatalError !== null
  }

  getExtraInfo (name: string, defaultValue?: unknown): any {
    return name === 'subprocess' ? this.#child : defaultValue
  }

  setProtocol (protocol: AnyProtocol): void {
    checkProtocol(protocol)
    this.#protocol = protocol as SubprocessProtocolShape
  }

  getProtocol (): AnyProtocol | null {
    return this.#protocol as AnyProtocol | null
  }

  toString (): string {
    const state = this.#lost ? 'closed' : this.#closed ? 'closing' : 'open'
    const rc = this.#returncode === null ? 'running' : `returncode=${this.#returncode}`
    return `<ChildProcessTransport pid=${this.#pid} ${rc} ${state}>`
  }

  #running (): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null
  }

  #killIfRunning (): void {
    if (this.#returncode !== null || !this.#running()) return
    try {
      this.#child.kill('SIGKILL')
    } catch {
      // the child is gone already: nothing to kill
    }
  }
}

