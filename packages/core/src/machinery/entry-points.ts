import * as fs from 'node:fs'
import * as net from 'node:net'
import type * as tls from 'node:tls'
import { traceConnect } from '../instrumentation.js'
import type { AnyProtocol, ProtocolFactory } from '../protocol.js'
import type { Address, Transport } from '../transport.js'
import {
  abortError, invalidArgType, validateFactory, validateHost, validateOptions, validatePort, validateSignal,
  makeProtocol, validateUnixPath,
} from './args.js'
import { dns } from './builtins.js'
import { validateOpenSocket } from './open-socket.js'
import { connectTCP, connectUnix, parseConnectionOptions } from './dial.js'
import { tcpAddresses, tcpExtra } from './socket-addresses.js'
import type { TcpAddresses } from './socket-addresses.js'
import type { DialOptions } from './dial.js'
import { checkServerSupport, makeServer, serverSettings } from './server.js'
import type { AcceptHandler, ListenSpec, Server } from './server.js'
import { StreamTransport } from './stream-transport.js'
import type { TransportOwner } from './transport-options.js'
import { clientHandshake, serverHandshake, tlsExtra } from './tls-handshake.js'
import { parseClientTLS, parseServerTLS } from './tls-options.js'
import type { ClientTLSSettings, ServerTLSSettings, TLSClientOptions, TLSServerOptions } from './tls-options.js'
import { adoptTlsSocket } from './accept.js'
import { TCP, TLS, UNIX } from './transport-kinds.js'
import type { TransportKind } from './transport-kinds.js'

/**
 * The connection and server functions shared by the families that run over byte streams
 * (`@wireline/stream` for `Protocol`, `@wireline/buffered` for `BufferedProtocol`). asyncio
 * has one `create_connection` for both and picks the read path from the protocol; so does
 * wireline: the families export these under asyncio's names with their own protocol types.
 */

/** Options of `createConnection`. */
export interface ConnectionOptions extends DialOptions, TLSClientOptions {}

/** Options of `createServer` (asyncio's keyword arguments). */
export interface ServerOptions extends TLSServerOptions {
  /** Listen backlog (default 100, as asyncio). */
  backlog?: number
  /** SO_REUSEPORT, where the running Node supports it (22.12+); otherwise createServer rejects. */
  reusePort?: boolean
  /** Listen at once (default true); with false nothing is bound until `startServing()`. */
  startServing?: boolean
}

/** Options of `createUnixConnection` (with `ssl`, `serverHostname` is required). */
export interface UnixConnectionOptions extends TLSClientOptions {
  signal?: AbortSignal | null
}

/** Options of `createUnixServer`. */
export interface UnixServerOptions extends TLSServerOptions {
  backlog?: number
  startServing?: boolean
}

/** Options of `connectAcceptedSocket`: with `ssl`, the TLS server side runs over the socket. */
export interface AcceptedSocketOptions extends TLSServerOptions {
  /** Gives up a TLS handshake still running over the socket: the socket is destroyed, the promise rejects with an `AbortError`. */
  signal?: AbortSignal | null
}

/**
 * The option names each entry point takes (asyncio's keyword arguments); any other name
 * throws at the call. Exported so that functions built on these (the high-level streams)
 * check the same names.
 */
export const OPTION_NAMES = {
  createConnection: ['ssl', 'serverHostname', 'sslHandshakeTimeout', 'localAddr', 'happyEyeballsDelay', 'signal'],
  createServer: ['ssl', 'sslHandshakeTimeout', 'backlog', 'reusePort', 'startServing'],
  createUnixConnection: ['ssl', 'serverHostname', 'sslHandshakeTimeout', 'signal'],
  createUnixServer: ['ssl', 'sslHandshakeTimeout', 'backlog', 'startServing'],
  connectAcceptedSocket: ['ssl', 'sslHandshakeTimeout', 'signal'],
} as const satisfies Record<string, readonly string[]>

/** How a connected socket becomes a transport: its kind and extra info. */
interface TransportSetup {
  kind: TransportKind
  extra: Readonly<Record<string, unknown>> | TcpAddresses
}

/**
 * Creates the protocol and its transport over a connected socket (no `connectionMade` yet:
 * `transport.start()` calls it). The factory's error is thrown, the socket destroyed.
 */
function makeTransport<P extends AnyProtocol> (
  factory: ProtocolFactory<P>, socket: net.Socket, onread: boolean,
  kind: TransportKind, extra: TransportSetup['extra'], owner: TransportOwner | null,
): StreamTransport {
  let protocol: P
  try {
    protocol = makeProtocol(factory)
  } catch (err) {
    socket.destroy()
    throw err
  }
  return new StreamTransport({ socket, protocol, onread, kind, extra, owner })
}

/**
 * A connected socket made a transport and its protocol, `connectionMade` called. An error from
 * `connectionMade` is thrown (the transport is being aborted and will call
 * `connectionLost(error)`).
 */
function connected<P extends AnyProtocol> (
  factory: ProtocolFactory<P>, socket: net.Socket, onread: boolean, setup: TransportSetup,
): [Transport, P] {
  const transport = makeTransport(factory, socket, onread, setup.kind, setup.extra, null)
  const protocol = transport.getProtocol() as P
  const error = transport.start()
  if (error !== null) throw error
  return [transport, protocol]
}

/** The setup of a TLS connection, once its handshake is done. */
function tlsSetup (socket: tls.TLSSocket, secureContext: tls.SecureContext,
  addresses: { peername: Address, sockname: Address }): TransportSetup {
  return { kind: TLS, extra: tlsExtra(socket, secureContext, addresses) }
}

const noop = (): void => {}

/** A connected socket TLS will wrap: its errors surface through the TLS socket, so never let one go unheard. */
function rawForTls (socket: net.Socket): net.Socket {
  socket.on('error', noop)
  return socket
}

/*
 * Every entry point checks its arguments synchronously and throws at the call (`TypeError`,
 * `RangeError`, with Node's codes) for bad input; what happens once the work has begun
 * (refused, not found, a failed handshake, a throwing factory or connectionMade) rejects.
 */

/**
 * asyncio `loop.create_connection(factory, host, port)`: connects over TCP (and TLS with
 * `ssl`), makes the protocol, calls `connectionMade`, and resolves to `[transport, protocol]`.
 */
export function createConnection<P extends AnyProtocol> (
  factory: ProtocolFactory<P>, host: string, port: number, options?: ConnectionOptions,
): Promise<[Transport, P]> {
  validateFactory(factory)
  const h = validateHost(host)
  const p = validatePort(port)
  const o = validateOptions(options, 'createConnection()', OPTION_NAMES.createConnection)
  const opts = parseConnectionOptions(o)
  const tlsSettings = parseClientTLS(o, h)
  return traceConnect({ family: 'tcp', host: h, port: p, ssl: tlsSettings !== null }, () => connectTo(factory, h, p, opts, tlsSettings))
}

async function connectTo<P extends AnyProtocol> (
  factory: ProtocolFactory<P>, h: string, p: number, opts: DialOptions, tlsSettings: ClientTLSSettings | null,
): Promise<[Transport, P]> {
  if (tlsSettings === null) {
    return await connectTCP(h, p, opts, (socket, onread) =>
      connected(factory, socket, onread, { kind: TCP, extra: tcpExtra(socket) }))
  }
  const raw = await connectTCP(h, p, opts, rawForTls, { onread: false })
  const socket = await clientHandshake(raw, tlsSettings, opts.signal)
  return connected(factory, socket, adoptTlsSocket(socket), tlsSetup(socket, tlsSettings.secureContext, tcpAddresses(socket)))
}

/** asyncio `loop.create_unix_connection(factory, path)`; with `ssl`, `serverHostname` is required. */
export function createUnixConnection<P extends AnyProtocol> (
  factory: ProtocolFactory<P>, path: string, options?: UnixConnectionOptions,
): Promise<[Transport, P]> {
  validateFactory(factory)
  const at = validateUnixPath(path)
  const o = validateOptions(options, 'createUnixConnection()', OPTION_NAMES.createUnixConnection)
  const signal = validateSignal(o.signal)
  const tlsSettings = parseClientTLS(o, null)
  return traceConnect({ family: 'unix', path: at, ssl: tlsSettings !== null }, () => connectToPath(factory, at, signal, tlsSettings))
}

async function connectToPath<P extends AnyProtocol> (
  factory: ProtocolFactory<P>, at: string, signal: AbortSignal | null, tlsSettings: ClientTLSSettings | null,
): Promise<[Transport, P]> {
  const addresses = { peername: at, sockname: '' }
  if (tlsSettings === null) {
    return await connectUnix(at, { signal }, (socket, onread) =>
      connected(factory, socket, onread, { kind: UNIX, extra: addresses }))
  }
  const raw = await connectUnix(at, { signal }, rawForTls, { onread: false })
  const socket = await clientHandshake(raw, tlsSettings, signal)
  return connected(factory, socket, adoptTlsSocket(socket), tlsSetup(socket, tlsSettings.secureContext, addresses))
}

type UnixListenSpec = Extract<ListenSpec, { kind: 'unix' }>

function acceptWith<P extends AnyProtocol> (factory: ProtocolFactory<P>, secureContext: tls.SecureContext | null): AcceptHandler {
  // Nothing made here outlives the call but the transport (memory per connection: what an
  // accept leaves to the collector grows the young generation as much as what it keeps).
  const unixExtras = new WeakMap<UnixListenSpec, Readonly<Record<string, unknown>>>()
  const unixExtra = (spec: UnixListenSpec): Readonly<Record<string, unknown>> => {
    let extra = unixExtras.get(spec)
    if (extra === undefined) {
      extra = Object.freeze({ peername: '', sockname: spec.path })
      unixExtras.set(spec, extra)
    }
    return extra
  }
  return (socket, onread, spec, owner) => {
    let transport: StreamTransport
    if (secureContext !== null) {
      const setup = tlsSetup(socket as tls.TLSSocket, secureContext, spec.kind === 'tcp' ? tcpAddresses(socket) : { peername: '', sockname: spec.path })
      transport = makeTransport(factory, socket, onread, setup.kind, setup.extra, owner)
    } else if (spec.kind === 'tcp') {
      transport = makeTransport(factory, socket, onread, TCP, tcpExtra(socket), owner)
    } else {
      transport = makeTransport(factory, socket, onread, UNIX, unixExtra(spec), owner)
    }
    transport.start()
    return transport
  }
}

function validateHosts (host: unknown): string[] | null {
  if (host === undefined || host === null || host === '') return null
  const hosts = Array.isArray(host) ? host : [host]
  for (const h of hosts) {
    if (typeof h !== 'string' || h.length === 0) throw invalidArgType('host must be a non-empty string or an array of them')
    validateHost(h)
  }
  return hosts as string[]
}

async function hostSpecs (hosts: string[] | null, port: number): Promise<ListenSpec[]> {
  if (hosts === null) return [{ kind: 'tcp', host: undefined, port }]
  const specs: ListenSpec[] = []
  const seen = new Set<string>()
  for (const h of hosts) {
    const found = net.isIP(h) !== 0
      ? [{ address: h, family: net.isIP(h) }]
      : await dns().promises.lookup(h, { all: true, verbatim: true })
    for (const a of found) {
      if (seen.has(a.address)) continue
      seen.add(a.address)
      specs.push({ kind: 'tcp', host: a.address, port, ipv6Only: a.family === 6 })
    }
  }
  return specs
}

/**
 * asyncio `loop.create_server(factory, host, port)`. `host` may be omitted (all interfaces,
 * one dual-stack socket), a name (each address it resolves to), or an array of them. With
 * port 0 and several addresses, they all get the port the first one was given. With `ssl`,
 * `connectionMade` comes after a successful handshake; a failed one drops the connection.
 */
export function createServer<P extends AnyProtocol> (
  factory: ProtocolFactory<P>, host?: string | string[] | null, port?: number | null, options?: ServerOptions,
): Promise<Server> {
  validateFactory(factory)
  const hosts = validateHosts(host)
  const p = port === undefined || port === null ? 0 : validatePort(port)
  const o = validateOptions(options, 'createServer()', OPTION_NAMES.createServer)
  const secureSettings = parseServerTLS(o)
  const settings = serverSettings(o, secureSettings)
  return (async () => {
    checkServerSupport(settings)
    const specs = await hostSpecs(hosts, p)
    return await makeServer(specs, settings, acceptWith(factory, secureSettings?.secureContext ?? null))
  })()
}

function addressInUse (path: string): Error {
  return Object.assign(new Error(`Address '${path}' is already in use`),
    { code: 'EADDRINUSE', errno: -98, syscall: 'listen', address: path })
}

/** Removes a stale Unix socket file at `path` (asyncio does); any other file there is an error. */
function removeStaleSocket (path: string): void {
  if (path.startsWith('\0')) return // abstract namespace: no file
  let st: fs.Stats
  try {
    st = fs.statSync(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    throw err
  }
  if (!st.isSocket()) throw addressInUse(path)
  fs.unlinkSync(path)
}

/** asyncio `loop.create_unix_server(factory, path)`: a stale socket file at `path` is removed first. */
export function createUnixServer<P extends AnyProtocol> (
  factory: ProtocolFactory<P>, path: string, options?: UnixServerOptions,
): Promise<Server> {
  validateFactory(factory)
  const at = validateUnixPath(path)
  const o = validateOptions(options, 'createUnixServer()', OPTION_NAMES.createUnixServer)
  const secureSettings = parseServerTLS(o)
  const settings = serverSettings(o, secureSettings)
  return (async () => {
    removeStaleSocket(at)
    return await makeServer([{ kind: 'unix', path: at }], settings, acceptWith(factory, secureSettings?.secureContext ?? null))
  })()
}

/**
 * asyncio `loop.connect_accepted_socket(factory, sock)`: wraps an already-connected Node
 * socket (accepted by your own server, or connected by your own code). Reading goes through
 * its `'data'` events; `allowHalfOpen` is turned on so that `eofReceived` can keep it open.
 * With `ssl`, the socket is the server side of a TLS connection (as in asyncio).
 */
export function connectAcceptedSocket<P extends AnyProtocol> (
  factory: ProtocolFactory<P>, socket: net.Socket, options?: AcceptedSocketOptions,
): Promise<[Transport, P]> {
  validateFactory(factory)
  validateOpenSocket(socket, 'socket')
  const o = validateOptions(options, 'connectAcceptedSocket()', OPTION_NAMES.connectAcceptedSocket)
  const secureSettings = parseServerTLS(o)
  const signal = validateSignal(o.signal)
  return traceConnect({ family: 'accepted', socket, ssl: secureSettings !== null }, () => wrapConnected(factory, socket, secureSettings, signal))
}

function isAborted (signal: AbortSignal | null): boolean {
  return signal !== null && signal.aborted
}

async function wrapConnected<P extends AnyProtocol> (
  factory: ProtocolFactory<P>, socket: net.Socket, secureSettings: ServerTLSSettings | null, signal: AbortSignal | null,
): Promise<[Transport, P]> {
  if (signal?.aborted === true) throw abortError(signal)
  const isTCP = socket.remoteAddress !== undefined
  if (isTCP) socket.setNoDelay(true)
  if (secureSettings === null) {
    socket.allowHalfOpen = true
    return connected(factory, socket, false, isTCP ? { kind: TCP, extra: tcpExtra(socket) } : { kind: UNIX, extra: { peername: '', sockname: '' } })
  }
  const addresses = isTCP ? tcpAddresses(socket) : { peername: '', sockname: '' }
  // Aborted during the handshake: the socket is destroyed under it, which ends it.
  const onAbort = (): void => { socket.destroy() }
  signal?.addEventListener('abort', onAbort, { once: true })
  let secured: tls.TLSSocket
  try {
    secured = await serverHandshake(rawForTls(socket), secureSettings)
  } catch (err) {
    if (isAborted(signal)) throw abortError(signal)
    throw err
  } finally {
    signal?.removeEventListener('abort', onAbort)
  }
  return connected(factory, secured, adoptTlsSocket(secured), tlsSetup(secured, secureSettings.secureContext, addresses))
}

