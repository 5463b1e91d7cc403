import * as net from 'node:net'
import type * as tls from 'node:tls'
import { DEFAULT_BACKLOG } from '../constants.js'
import { InvalidStateError, ServerClosedError, UnsupportedError } from '../errors.js'
import { callExceptionHandler } from '../exception-handler.js'
import { publishServerClosed, publishServerListening } from '../instrumentation.js'
import type { Address } from '../transport.js'
import { adoptAcceptedSocket, adoptTlsSocket } from './accept.js'
import { checkOptionNames, invalidArgType, outOfRange, validateOptions, validateSignal } from './args.js'
import { tls as loadTls } from './builtins.js'
import type { StreamTransport } from './stream-transport.js'
import type { TransportOwner } from './transport-options.js'
import type { ServerTLSSettings } from './tls-options.js'

/** Options of `Server.serveForever()`. */
export interface ServeForeverOptions {
  /** Closes the server when aborted, which ends `serveForever()`. */
  signal?: AbortSignal | null
}

/** Where one listening socket of a server binds. */
export type ListenSpec =
  | { kind: 'tcp', host: string | undefined, port: number, ipv6Only?: boolean }
  | { kind: 'unix', path: string }

/**
 * What a server does with each accepted socket (the family's part): make the protocol and
 * the transport, and return the transport so the server can track it, or `null` when the
 * connection was dropped (factory failed, handshake failed, ...). May return a promise.
 */
export type AcceptHandler = (
  socket: net.Socket, onread: boolean, spec: ListenSpec, owner: TransportOwner,
) => StreamTransport | null | Promise<StreamTransport | null>

export interface ServerSettings {
  backlog: number
  reusePort: boolean
  startServing: boolean
  /** TLS: listeners are `tls.Server`s and connections arrive after their handshake. */
  tls: ServerTLSSettings | null
}

/** True when this Node can set SO_REUSEPORT through `server.listen({ reusePort })` (22.12+, 23.1+). */
export function reusePortSupported (): boolean {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number)
  return major >= 23 || (major === 22 && minor >= 12)
}

/**
 * Makes a `Server` for `specs` that hands each accepted socket to `accept`, and starts serving
 * unless `settings.startServing` is false. The one way to make a server: the class has no
 * public constructor.
 */
export let makeServer: (specs: ListenSpec[], settings: ServerSettings, accept: AcceptHandler) => Promise<Server>

/** Keeps a socket's error from crashing the process until a transport listens to it. */
function guard (): void {}

function describeSocket (spec: ListenSpec, socket: net.Socket): string {
  return spec.kind === 'unix' ? spec.path : `${socket.localAddress ?? spec.host ?? '*'}:${socket.localPort ?? spec.port}`
}

/**
 * asyncio's `Server`: the listening sockets of `createServer` / `createUnixServer`, and the
 * connections they accepted.
 */
export class Server implements AsyncDisposable {
  readonly #specs: ListenSpec[]
  readonly #settings: ServerSettings
  readonly #accept: AcceptHandler
  #listeners: net.Server[] = []
  #connections = new Set<StreamTransport>()
  #pending = 0
  #serving = false
  #closed = false
  #starting: Promise<void> | null = null
  #waiters: Array<() => void> = []
  /** `wireline:server:closed` was published (once). */
  #closedPublished = false
  /** Ends the pending `serveForever()`. */
  #forever: (() => void) | null = null
  /** An accept failed and no connection was accepted since (one report per burst). */
  #acceptFailing = false

  /** Tells the server about the transports of its connections (kept off the public surface). */
  readonly #owner: TransportOwner = {
    attach: (transport) => { this.#connections.add(transport) },
    detach: (transport) => { if (this.#connections.delete(transport)) this.#wake() },
  }

  static {
    makeServer = async (specs, settings, accept) => {
      const server = new Server(specs, settings, accept)
      if (settings.startServing) await server.startServing()
      return server
    }
  }

  /** Servers are made by the families' `createServer` / `createUnixServer`. */
  private constructor (specs: ListenSpec[], settings: ServerSettings, accept: AcceptHandler) {
    this.#specs = specs
    this.#settings = settings
    this.#accept = accept
  }

  /**
   * Binds and listens on every address (idempotent). Node cannot bind without listening, so
   * with `startServing: false` nothing is bound before this.
   */
  async startServing (): Promise<void> {
    if (this.#closed) throw new ServerClosedError()
    if (this.#serving) return
    this.#starting ??= this.#listen().finally(() => { this.#starting = null })
    await this.#starting
  }

  async #listen (): Promise<void> {
    const listeners: net.Server[] = []
    let port: number | null = null
    try {
      for (const spec of this.#specs) {
        let bound = spec
        // Several addresses on port 0: bind the others to the port the first one got.
        if (spec.kind === 'tcp' && spec.port === 0 && port !== null) bound = { ...spec, port }
        const listener = await this.#listenOne(bound)
        listeners.push(listener)
        if (spec.kind === 'tcp' && port === null) port = (listener.address() as net.AddressInfo).port
      }
    } catch (err) {
      for (const l of listeners) l.close()
      throw err
    }
    if (this.#closed) {
      for (const l of listeners) l.close()
      throw new ServerClosedError()
    }
    this.#listeners = listeners
    this.#serving = true
    publishServerListening(this)
  }

  #listenOne (spec: ListenSpec): Promise<net.Server> {
    const secure = this.#settings.tls
    let listener: net.Server
    if (secure === null) {
      listener = net.createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: spec.kind === 'tcp' })
      listener.on('connection', (socket: net.Socket) => { this.#onConnection(socket, spec) })
    } else {
      // A failed or timed-out handshake ('tlsClientError') drops that connection, with no
      // protocol callback; the server keeps serving.
      listener = loadTls().createServer({ ...secure.options, allowHalfOpen: true, handshakeTimeout: secure.handshakeTimeout, noDelay: spec.kind === 'tcp' })
      listener.on('secureConnection', (socket: tls.TLSSocket) => { this.#onConnection(socket, spec) })
      // Node destroys the socket only when nobody listens to 'tlsClientError': do it here.
      listener.on('tlsClientError', (_err: Error, socket: tls.TLSSocket) => { socket.destroy() })
    }
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => {
        listener.close()
        reject(err)
      }
      listener.once('error', onError)
      const ready = (): void => {
        listener.off('error', onError)
        listener.on('error', (exception: Error) => { this.#onAcceptError(exception) })
        resolve(listener)
      }
      if (spec.kind === 'unix') {
        listener.listen({ path: spec.path, backlog: this.#settings.backlog }, ready)
      } else {
        const opts: net.ListenOptions & { reusePort?: boolean } = {
          host: spec.host, port: spec.port, backlog: this.#settings.backlog, ipv6Only: spec.ipv6Only,
        }
        if (this.#settings.reusePort) opts.reusePort = true
        listener.listen(opts, ready)
      }
    })
  }

  /**
   * An accept that failed (EMFILE/ENFILE when the process or the system is out of file
   * descriptors, ENOBUFS, ENOMEM): the process goes on and so do the connections it has. libuv
   * drops the pending connection (its reserved-descriptor trick) and keeps accepting; asyncio
   * logs "socket.accept() out of system resource" and retries later. Reported once per burst:
   * the next report comes only after a connection was accepted again.
   */
  #onAcceptError (exception: Error): void {
    if (this.#acceptFailing) return
    this.#acceptFailing = true
    callExceptionHandler({ message: 'socket.accept() out of system resource', exception, server: this })
  }

  #onConnection (socket: net.Socket, spec: ListenSpec): void {
    this.#acceptFailing = false
    if (this.#closed) {
      socket.destroy()
      return
    }
    const onread = this.#settings.tls === null ? adoptAcceptedSocket(socket) : adoptTlsSocket(socket as tls.TLSSocket)
    let result: StreamTransport | null | Promise<StreamTransport | null>
    try {
      result = this.#accept(socket, onread, spec, this.#owner)
    } catch (exception) {
      socket.destroy()
      callExceptionHandler({ message: `Error accepting a connection on ${describeSocket(spec, socket)}`, exception, server: this })
      this.#wake()
      return
    }
    // A transport made at once took the socket's errors over in the same tick (Node emits
    // them on a later one); one still being made (a TLS handshake, ...) counts as pending,
    // and until it is there, a socket error must not crash the process.
    if (result instanceof Promise) this.#settleLater(socket, spec, result)
    else this.#wake()
  }

  #settleLater (socket: net.Socket, spec: ListenSpec, result: Promise<StreamTransport | null>): void {
    socket.on('error', guard)
    this.#pending++
    const settle = (): void => {
      this.#pending--
      socket.off('error', guard)
      this.#wake()
    }
    result.then(() => settle(), (exception: unknown) => {
      socket.destroy()
      callExceptionHandler({ message: `Error accepting a connection on ${describeSocket(spec, socket)}`, exception, server: this })
      settle()
    })
  }

  /** Stops listening (idempotent). Accepted connections go on. */
  close (): void {
    if (this.#closed) return
    this.#closed = true
    this.#serving = false
    for (const l of this.#listeners) l.close()
    this.#listeners = []
    if (this.#forever !== null) {
      this.#forever()
      this.#forever = null
    }
    this.#wake()
  }

  /** Calls `close()` on every connection this server accepted. */
  closeClients (): void {
    for (const t of [...this.#connections]) t.close()
  }

  /** Calls `abort()` on every connection this server accepted (their buffers are dropped). */
  abortClients (): void {
    for (const t of [...this.#connections]) t.abort()
  }

  /**
   * Resolves once the server is closed (its listening sockets released) and every connection
   * it accepted has had `connectionLost`. On an open server it waits for that.
   */
  async waitClosed (): Promise<void> {
    if (this.#isDone()) return
    await new Promise<void>((resolve) => { this.#waiters.push(resolve) })
  }

  #isDone (): boolean {
    // The listening sockets are released by close() itself (their 'close' event would also
    // wait for Node's own count of connections, which a TLS wrap can leave behind).
    return this.#closed && this.#connections.size === 0 && this.#pending === 0
  }

  #wake (): void {
    if (!this.#isDone()) return
    if (!this.#closedPublished) {
      this.#closedPublished = true
      publishServerClosed(this)
    }
    if (this.#waiters.length === 0) return
    const waiters = this.#waiters
    this.#waiters = []
    for (const w of waiters) w()
  }

  /**
   * Starts serving if needed and serves until the server is closed, by `close()` or by
   * `signal`, then resolves: the graceful shutdown of a Node program is
   * `process.once('SIGTERM', () => server.close())` around `await server.serveForever()`.
   * Rejects at once with `ServerClosedError` on a closed server and `InvalidStateError` if
   * another `serveForever()` is pending (asyncio raises the same two); bad options throw.
   */
  serveForever (options?: ServeForeverOptions): Promise<void> {
    const o = validateOptions(options)
    checkOptionNames(o, ['signal'], 'serveForever')
    return this.#serveForever(validateSignal(o.signal))
  }

  async #serveForever (signal: AbortSignal | null): Promise<void> {
    if (this.#forever !== null) throw new InvalidStateError('serveForever() is already running')
    if (this.#closed) throw new ServerClosedError()
    const closed = new Promise<void>((resolve) => { this.#forever = resolve })
    const onAbort = (): void => { this.close() }
    if (signal !== null) {
      if (signal.aborted) onAbort()
      else signal.addEventListener('abort', onAbort, { once: true })
    }
    try {
      await this.startServing()
    } catch (err) {
      this.#forever = null
      signal?.removeEventListener('abort', onAbort)
      // closed meanwhile (by close() or the signal): that is the end asked for
      if (err instanceof ServerClosedError && this.#closed) return
      throw err
    }
    await closed
    signal?.removeEventListener('abort', onAbort)
  }

  /** True while the server accepts connections. */
  isServing (): boolean {
    return this.#serving && !this.#closed
  }

  /** The addresses it listens on: `[host, port]` each, or a Unix socket's path. Empty when not listening. */
  addresses (): Address[] {
    const out: Address[] = []
    for (const l of this.#listeners) {
      const a = l.address()
      if (a === null) continue
      out.push(typeof a === 'string' ? a : [a.address, a.port])
    }
    return out
  }

  /** `await using server = await createServer(...)`: closes and waits, like `async with server`. */
  async [Symbol.asyncDispose] (): Promise<void> {
    this.close()
    await this.waitClosed()
  }
}

/** Validated server settings (TLS settings parsed by the caller). */
export function serverSettings (o: Record<string, unknown>, secure: ServerTLSSettings | null = null): ServerSettings {
  const backlog = o.backlog ?? DEFAULT_BACKLOG
  if (typeof backlog !== 'number') throw invalidArgType(`backlog must be a number, got ${typeof backlog}`)
  if (!Number.isInteger(backlog) || backlog < 0) throw outOfRange(`backlog must be an integer >= 0, got ${backlog}`)
  const reusePort = o.reusePort ?? false
  if (typeof reusePort !== 'boolean') throw invalidArgType('reusePort must be a boolean')
  const startServing = o.startServing ?? true
  if (typeof startServing !== 'boolean') throw invalidArgType('startServing must be a boolean')
  return { backlog, reusePort, startServing, tls: secure }
}

/**
 * Throws what the running Node cannot do (SPEC: `reusePort` rejects with a clear error where
 * Node lacks it; called from the asynchronous part of createServer so that it rejects).
 */
export function checkServerSupport (settings: ServerSettings): void {
  if (settings.reusePort && !reusePortSupported()) {
    throw new UnsupportedError(`reusePort is not supported by Node ${process.versions.node} (needs 22.12+ or 23.1+)`)
  }
}
