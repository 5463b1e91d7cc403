import * as net from 'node:net'
import {
  abortError, invalidArgType, validateDelay, validateNoNul, validatePort, validateSignal,
} from './args.js'
import { dns } from './builtins.js'
import { onreadOption } from './onread.js'

/** Options of a TCP connection (asyncio `create_connection`'s keyword arguments). */
export interface DialOptions {
  /** Bind the local end to `[host, port]` before connecting (port 0: any). */
  localAddr?: [host: string, port: number] | null
  /**
   * Happy Eyeballs (RFC 8305): start the next address's attempt after this many milliseconds
   * if the previous one has not connected yet; the first to connect wins. Without it the
   * addresses are tried one after another.
   */
  happyEyeballsDelay?: number | null
  /** Aborts the attempt: the promise rejects with an `AbortError` (code `ABORT_ERR`). */
  signal?: AbortSignal | null
}

/** How `connectTCP` / `connectUnix` make their sockets. */
export interface SocketOptions {
  /** Read through `ONREAD` (default); false for a socket TLS will wrap. */
  onread?: boolean
}

function validateLocalAddr (value: unknown): [string, number] | null {
  if (value === undefined || value === null) return null
  if (!Array.isArray(value) || value.length !== 2 || typeof value[0] !== 'string') {
    throw invalidArgType('localAddr must be [host, port]')
  }
  validateNoNul(value[0], 'localAddr host')
  return [value[0], validatePort(value[1], 'localAddr port')]
}

function aborted (signal: AbortSignal | null): boolean {
  return signal !== null && signal.aborted
}

interface Resolved { address: string, family: number }

async function resolve (host: string, port: number): Promise<Resolved[]> {
  const family = net.isIP(host)
  if (family !== 0) return [{ address: host, family }]
  const found = await dns().promises.lookup(host, { all: true, verbatim: true })
  if (found.length === 0) {
    throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND', hostname: host, port })
  }
  return found
}

/** RFC 8305 order: alternate families, starting with the first one returned. */
function interleave (addrs: Resolved[]): Resolved[] {
  const first = addrs[0]?.family
  const a = addrs.filter((x) => x.family === first)
  const b = addrs.filter((x) => x.family !== first)
  const out: Resolved[] = []
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (i < a.length) out.push(a[i]!)
    if (i < b.length) out.push(b[i]!)
  }
  return out
}

/** One error as is; the same message repeated: the first; otherwise an AggregateError. */
export function combineErrors (errors: Error[]): Error {
  if (errors.length === 1) return errors[0]!
  const first = errors[0]!
  if (errors.every((e) => e.message === first.message)) return first
  const aggregate = new AggregateError(errors, `Multiple exceptions: ${errors.map((e) => e.message).join(', ')}`)
  const code = (first as NodeJS.ErrnoException).code
  return code === undefined ? aggregate : Object.assign(aggregate, { code })
}

type OnConnected<T> = (socket: net.Socket, onread: boolean) => T

/**
 * Connects to `host:port` (every address it resolves to, in turn or staggered) and calls
 * `onConnected` synchronously inside the winning socket's `'connect'` event, before Node
 * starts reading; the promise settles with what it returns or throws.
 */
export async function connectTCP<T> (
  host: string, port: number, options: DialOptions, onConnected: OnConnected<T>, how: SocketOptions = {},
): Promise<T> {
  const signal = options.signal ?? null
  if (aborted(signal)) throw abortError(signal)
  let remotes = await resolve(host, port)
  let locals: Resolved[] | null = null
  if (options.localAddr != null) locals = await resolve(options.localAddr[0], options.localAddr[1])
  if (aborted(signal)) throw abortError(signal)
  const delay = options.happyEyeballsDelay ?? null
  if (delay !== null) remotes = interleave(remotes)

  return await new Promise<T>((resolvePromise, rejectPromise) => {
    const errors: Error[] = []
    const live = new Set<net.Socket>()
    let next = 0
    let settled = false
    let timer: NodeJS.Timeout | null = null

    const finish = (): void => {
      settled = true
      if (timer !== null) clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      for (const s of live) s.destroy()
      live.clear()
    }
    const onAbort = (): void => {
      if (settled) return
      finish()
      rejectPromise(abortError(signal))
    }
    signal?.addEventListener('abort', onAbort, { once: true })

    const maybeFail = (): void => {
      if (!settled && live.size === 0 && next >= remotes.length) {
        finish()
        rejectPromise(combineErrors(errors))
      }
    }

    const startNext = (): void => {
      if (settled) return
      if (timer !== null) { clearTimeout(timer); timer = null }
      while (next < remotes.length) {
        const remote = remotes[next++]!
        let localAddress: string | undefined
        let localPort: number | undefined
        if (locals !== null) {
          const local = locals.find((l) => l.family === remote.family)
          if (local === undefined) {
            errors.push(Object.assign(new Error(`no matching local address with family=IPv${remote.family} found`),
              { code: 'EADDRNOTAVAIL' }))
            continue
          }
          localAddress = local.address
          localPort = options.localAddr![1] === 0 ? undefined : options.localAddr![1]
        }
        attempt(remote, localAddress, localPort)
        if (delay !== null && next < remotes.length) timer = setTimeout(startNext, delay)
        return
      }
      maybeFail()
    }

    const attempt = (remote: Resolved, localAddress: string | undefined, localPort: number | undefined): void => {
      const onread = how.onread !== false
      const read = onread ? onreadOption() : null
      const socket = net.connect({
        host: remote.address,
        port,
        family: remote.family,
        localAddress,
        localPort,
        onread: read?.option,
        allowHalfOpen: true,
        noDelay: true,
        autoSelectFamily: false,
      })
      read?.attach(socket)
      live.add(socket)
      const onError = (err: Error): void => {
        socket.off('connect', onConnect)
        live.delete(socket)
        socket.destroy()
        if (settled) return
        errors.push(err)
        // Sequential: the next address now. Staggered: start the next one early too.
        startNext()
        maybeFail()
      }
      const onConnect = (): void => {
        socket.off('error', onError)
        live.delete(socket)
        if (settled) {
          socket.destroy()
          return
        }
        finish()
        try {
          resolvePromise(onConnected(socket, onread))
        } catch (err) {
          rejectPromise(err)
        }
      }
      socket.once('error', onError)
      socket.once('connect', onConnect)
    }

    startNext()
  })
}

/** Connects to the Unix socket at `path`; `onConnected` as for `connectTCP`. */
export async function connectUnix<T> (
  path: string, options: { signal?: AbortSignal | null }, onConnected: OnConnected<T>, how: SocketOptions = {},
): Promise<T> {
  const signal = options.signal ?? null
  if (aborted(signal)) throw abortError(signal)
  return await new Promise<T>((resolvePromise, rejectPromise) => {
    const onread = how.onread !== false
    const read = onread ? onreadOption() : null
    const socket = net.connect({ path, onread: read?.option, allowHalfOpen: true })
    read?.attach(socket)
    const onAbort = (): void => {
      cleanup()
      socket.destroy()
      rejectPromise(abortError(signal))
    }
    const onError = (err: Error): void => {
      cleanup()
      socket.destroy()
      rejectPromise(err)
    }
    const onConnect = (): void => {
      cleanup()
      try {
        resolvePromise(onConnected(socket, onread))
      } catch (err) {
        rejectPromise(err)
      }
    }
    const cleanup = (): void => {
      socket.off('error', onError)
      socket.off('connect', onConnect)
      signal?.removeEventListener('abort', onAbort)
    }
    socket.once('error', onError)
    socket.once('connect', onConnect)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/** Validated connection options (of an options object whose names were checked). */
export function parseConnectionOptions (o: Record<string, unknown>): DialOptions {
  return {
    localAddr: validateLocalAddr(o.localAddr),
    happyEyeballsDelay: validateDelay(o.happyEyeballsDelay, 'happyEyeballsDelay'),
    signal: validateSignal(o.signal),
  }
}
