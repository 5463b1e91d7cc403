import {
  abortError, invalidArgType, invalidArgValue, makeProtocol, outOfRange, traceConnect, validateFactory, validateOptions,
  validateSignal,
} from '@wireline/core/machinery'
import type { ProtocolFactory } from '@wireline/core'
import { launch } from './launch.js'
import type { LaunchSettings, Stdio } from './launch.js'
import type { SubprocessProtocolShape } from './protocol.js'
import { unixSocketPair } from './socket-pair.js'
import type { SubprocessTransport } from './transport.js'

/**
 * What one of the child's stdin/stdout/stderr is connected to (asyncio's `PIPE`, `None`,
 * `DEVNULL`, or a file descriptor):
 * - `'pipe'` (the default): a pipe to the parent, seen through `getPipeTransport(fd)`;
 * - `'inherit'`, or `null` as asyncio's `None`: the parent's own fd;
 * - `'ignore'`: `/dev/null` (asyncio `DEVNULL`);
 * - a file descriptor the parent has open (a number >= 0).
 */
export type StdioOption = 'pipe' | 'inherit' | 'ignore' | number | null

/** Options of `subprocessExec` / `subprocessShell` (asyncio's keyword arguments). */
export interface SubprocessOptions {
  stdin?: StdioOption
  stdout?: StdioOption
  /** `'stdout'` (asyncio `STDOUT`) sends it where stdout goes; piped, it arrives as fd 1. */
  stderr?: StdioOption | 'stdout'
  /** The child's working directory. */
  cwd?: string | URL | null
  /** The child's whole environment (default: the parent's). */
  env?: Record<string, string | undefined> | null
  /**
   * Kills the child (SIGKILL) when aborted. While the child is starting, the promise rejects
   * with an `AbortError` and no protocol callback runs; afterwards the protocol sees the
   * exit as for `kill()`.
   */
  signal?: AbortSignal | null
}

const KNOWN = ['stdin', 'stdout', 'stderr', 'cwd', 'env', 'signal']

/** asyncio raises ValueError for these `Popen` arguments; they make no sense here either. */
const REFUSED: Record<string, string> = {
  shell: 'subprocessExec() never runs a shell and subprocessShell() always does: choose the function, not the option',
  text: 'the pipes carry bytes (Uint8Array): decode them in the protocol',
  universalNewlines: 'the pipes carry bytes (Uint8Array): decode them in the protocol',
  universal_newlines: 'the pipes carry bytes (Uint8Array): decode them in the protocol',
  encoding: 'the pipes carry bytes (Uint8Array): decode them in the protocol',
  errors: 'the pipes carry bytes (Uint8Array): decode them in the protocol',
  bufsize: 'the pipes are unbuffered: there is no bufsize',
}

function describe (value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value
}

function parseStdio (value: unknown, name: string, allowStdout: boolean): Stdio | 'stdout' {
  if (value === undefined) return 'pipe'
  if (value === null) return 'inherit'
  if (value === 'pipe' || value === 'inherit' || value === 'ignore') return value
  if (value === 'stdout' && allowStdout) return value
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0) throw outOfRange(`${name} must be a file descriptor (an integer >= 0), got ${value}`)
    return value
  }
  const allowed = `'pipe', 'inherit', 'ignore'${allowStdout ? ", 'stdout'" : ''}, null or a file descriptor`
  if (typeof value === 'string') throw invalidArgValue(`${name} must be one of ${allowed}, got '${value}'`)
  throw invalidArgType(`${name} must be one of ${allowed}, got ${describe(value)}`)
}

/** What the OS cannot take in a path, an argument or the environment (Node would throw it later). */
function checkNoNul (value: string, name: string): void {
  if (value.includes('\0')) throw invalidArgValue(`${name} must not contain null bytes`)
}

/** Validates the options object (asyncio's keyword arguments). */
function parseOptions (options: unknown, fn: string): LaunchSettings {
  if (typeof options === 'object' && options !== null) {
    for (const key of Object.keys(options)) {
      const why = REFUSED[key]
      if (why !== undefined) throw invalidArgValue(`${fn}: option '${key}' is not supported: ${why}`)
    }
  }
  const o = validateOptions(options, `${fn}()`, KNOWN)
  const cwd = o.cwd
  if (cwd !== undefined && cwd !== null && typeof cwd !== 'string' && !(cwd instanceof URL)) {
    throw invalidArgType(`${fn}: cwd must be a string or a URL, got ${describe(cwd)}`)
  }
  if (typeof cwd === 'string') checkNoNul(cwd, `${fn}: cwd`)
  const env = o.env
  if (env !== undefined && env !== null) {
    if (typeof env !== 'object' || Array.isArray(env)) throw invalidArgType(`${fn}: env must be an object, got ${describe(env)}`)
    for (const [k, v] of Object.entries(env)) {
      if (v === undefined) continue
      if (typeof v !== 'string') throw invalidArgType(`${fn}: env.${k} must be a string, got ${describe(v)}`)
      checkNoNul(k, `${fn}: env key`)
      checkNoNul(v, `${fn}: env.${k}`)
    }
  }
  return {
    stdin: parseStdio(o.stdin, 'stdin', false) as Stdio,
    stdout: parseStdio(o.stdout, 'stdout', false) as Stdio,
    stderr: parseStdio(o.stderr, 'stderr', true),
    cwd: (cwd ?? undefined) as string | URL | undefined,
    env: (env ?? undefined) as Record<string, string | undefined> | undefined,
    signal: validateSignal(o.signal),
  }
}

function aborted (signal: AbortSignal | null): boolean {
  return signal !== null && signal.aborted
}

/**
 * Makes the protocol, then the process (asyncio's order); the merged case needs its pair
 * first. The work has begun: whatever fails from here on rejects.
 */
function start<P extends SubprocessProtocolShape> (
  factory: ProtocolFactory<P>, file: string, args: readonly string[], o: LaunchSettings, shell: boolean,
): Promise<[SubprocessTransport, P]> {
  return traceConnect({ family: 'subprocess', program: file, args, shell }, () => {
    try {
      if (aborted(o.signal)) throw abortError(o.signal)
      const protocol = makeProtocol(factory)
      if (aborted(o.signal)) throw abortError(o.signal) // by the factory: nothing is started
      if (o.stderr === 'stdout' && o.stdout === 'pipe') return launchWithPair(protocol, file, args, o, shell)
      return launch(protocol, file, args, o, shell, null)
    } catch (err) {
      return Promise.reject(err)
    }
  })
}

/** stderr merged into piped stdout: both are one end of a socket pair made first. */
async function launchWithPair<P extends SubprocessProtocolShape> (
  protocol: P, file: string, args: readonly string[], o: LaunchSettings, shell: boolean,
): Promise<[SubprocessTransport, P]> {
  const pair = await unixSocketPair()
  if (aborted(o.signal)) {
    pair.ours.destroy()
    pair.theirs.destroy()
    throw abortError(o.signal)
  }
  return await launch(protocol, file, args, o, shell, pair)
}

/**
 * asyncio `loop.subprocess_exec(protocol_factory, program, *args)`: runs `program` with
 * `args`, never through a shell. Resolves to `[transport, protocol]` once the child started
 * and `protocol.connectionMade(transport)` ran. A program that cannot start rejects with
 * Node's error (`code` ENOENT, EACCES, ...) and no protocol callback; a throwing
 * `connectionMade` rejects with its error (the child is killed, `connectionLost` follows).
 * Bad arguments throw at the call (`TypeError` / `RangeError`, with Node's `code`), before any
 * promise exists; what fails once the work began (the factory, the spawn, `connectionMade`)
 * rejects.
 */
export function subprocessExec<P extends SubprocessProtocolShape> (
  factory: ProtocolFactory<P>, program: string, args: readonly string[] = [], options?: SubprocessOptions,
): Promise<[SubprocessTransport, P]> {
  validateFactory(factory)
  if (typeof program !== 'string') throw invalidArgType(`program must be a string, got ${describe(program)}`)
  if (program.length === 0) throw invalidArgValue('program must not be empty')
  checkNoNul(program, 'program')
  if (!Array.isArray(args)) {
    throw invalidArgType(`args must be an array of strings, got ${describe(args)}` +
      (typeof args === 'object' && args !== null ? ' (options come fourth: subprocessExec(factory, program, [], options))' : ''))
  }
  for (let i = 0; i < args.length; i++) {
    const arg: unknown = args[i]
    if (typeof arg !== 'string') throw invalidArgType(`args[${i}] must be a string, got ${describe(arg)}`)
    checkNoNul(arg, `args[${i}]`)
  }
  const o = parseOptions(options, 'subprocessExec')
  return start(factory, program, args, o, false)
}

/**
 * asyncio `loop.subprocess_shell(protocol_factory, cmd)`: runs `command` with the system
 * shell (`/bin/sh -c command`). Otherwise as `subprocessExec`. Quote what you interpolate.
 */
export function subprocessShell<P extends SubprocessProtocolShape> (
  factory: ProtocolFactory<P>, command: string, options?: SubprocessOptions,
): Promise<[SubprocessTransport, P]> {
  validateFactory(factory)
  if (typeof command !== 'string') throw invalidArgType(`command must be a string, got ${describe(command)}`)
  if (command.length === 0) throw invalidArgValue('command must not be empty')
  checkNoNul(command, 'command')
  const o = parseOptions(options, 'subprocessShell')
  return start(factory, command, [], o, true)
}
