import * as net from 'node:net'
import * as tls from 'node:tls'
import { SSL_HANDSHAKE_TIMEOUT } from './constants.js'
import { TimeoutError, invalidArgType, invalidArgValue, outOfRange } from './errors.js'
import type { Address } from './transport.js'

/**
 * TLS for the stream transports: option parsing (asyncio's rules), the client and server
 * handshakes over a connected socket, and the extra info of a TLS transport. The transport
 * itself is the shared `StreamTransport` over the `tls.TLSSocket`.
 */

/** `ssl` on a client: `true` (Node's default trust store, hostname checked) or Node's options. */
export type ClientSSL = true | tls.ConnectionOptions
/** `ssl` on a server: Node's TLS server options (a certificate is needed, so never `true`). */
export type ServerSSL = tls.TlsOptions

/** The TLS options of the client entry points. */
export interface TLSClientOptions {
  /** Use TLS: `true`, or `tls.ConnectionOptions` (ca, cert, key, rejectUnauthorized, ALPNProtocols, ...). */
  ssl?: ClientSSL | null
  /** The name to check the server's certificate against (and send as SNI); `''` turns the check off. Defaults to the host. */
  serverHostname?: string | null
  /** Milliseconds the handshake may take (default 60 000, as asyncio). */
  sslHandshakeTimeout?: number | null
}

/** The TLS options of the server entry points. */
export interface TLSServerOptions {
  /** Use TLS: Node's server options (`cert`, `key`, `ca`, `requestCert`, ...). */
  ssl?: ServerSSL | null
  /** Milliseconds a client's handshake may take (default 60 000). */
  sslHandshakeTimeout?: number | null
}

export interface ClientTLSSettings {
  options: tls.ConnectionOptions
  secureContext: tls.SecureContext
  serverHostname: string
  handshakeTimeout: number
}

export interface ServerTLSSettings {
  options: tls.TlsOptions
  secureContext: tls.SecureContext
  handshakeTimeout: number
}

function parseTimeout (value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'number') throw invalidArgType(`sslHandshakeTimeout must be a number of milliseconds, got ${typeof value}`)
  if (!(value > 0) || !Number.isFinite(value)) throw outOfRange(`sslHandshakeTimeout must be a positive number, got ${value}`)
  return value
}

function noTls (o: Record<string, unknown>, keys: string[]): null {
  for (const key of keys) {
    if (o[key] !== undefined && o[key] !== null) throw invalidArgValue(`${key} is only meaningful with ssl`)
  }
  return null
}

/**
 * The client TLS settings of `options`, or null without `ssl`. `defaultHost` is what
 * `serverHostname` defaults to (the host connected to; none for Unix sockets, where
 * asyncio requires it).
 */
export function parseClientTLS (o: Record<string, unknown>, defaultHost: string | null): ClientTLSSettings | null {
  const ssl = o.ssl
  if (ssl === undefined || ssl === null || ssl === false) return noTls(o, ['serverHostname', 'sslHandshakeTimeout'])
  if (ssl !== true && typeof ssl !== 'object') throw invalidArgType('ssl must be true or a TLS options object')
  const handshakeTimeout = parseTimeout(o.sslHandshakeTimeout) ?? SSL_HANDSHAKE_TIMEOUT
  let serverHostname = o.serverHostname
  if (serverHostname !== undefined && serverHostname !== null && typeof serverHostname !== 'string') {
    throw invalidArgType('serverHostname must be a string')
  }
  serverHostname ??= defaultHost
  if (serverHostname === null) {
    throw invalidArgValue('serverHostname must be given when using ssl without a host')
  }
  const options: tls.ConnectionOptions = ssl === true ? {} : { ...(ssl as tls.ConnectionOptions) }
  const secureContext = options.secureContext ?? tls.createSecureContext(options)
  return { options, secureContext, serverHostname: serverHostname as string, handshakeTimeout }
}

/** The server TLS settings of `options`, or null without `ssl`. */
export function parseServerTLS (o: Record<string, unknown>): ServerTLSSettings | null {
  const ssl = o.ssl
  if (ssl === undefined || ssl === null || ssl === false) return noTls(o, ['sslHandshakeTimeout'])
  if (ssl === true || typeof ssl !== 'object') {
    throw invalidArgType('ssl on a server must be a TLS options object with a certificate (tls.TlsOptions), not true')
  }
  const handshakeTimeout = parseTimeout(o.sslHandshakeTimeout) ?? SSL_HANDSHAKE_TIMEOUT
  const options: tls.TlsOptions = { ...(ssl as tls.TlsOptions) }
  const secureContext = options.secureContext ?? tls.createSecureContext(options)
  return { options, secureContext, handshakeTimeout }
}

function handshakeTimeoutError (ms: number): TimeoutError {
  return new TimeoutError(`SSL handshake is taking longer than ${ms / 1000} seconds: aborting the connection`)
}

/**
 * The client's handshake over the connected socket `raw`. Resolves with the `TLSSocket`
 * once the handshake is done and the certificate verified; rejects with Node's error (the
 * sockets destroyed) or a `TimeoutError`.
 */
export function clientHandshake (raw: net.Socket, settings: ClientTLSSettings, signal?: AbortSignal | null): Promise<tls.TLSSocket> {
  const { options, secureContext, serverHostname, handshakeTimeout } = settings
  const connectOptions: tls.ConnectionOptions = {
    ...options,
    socket: raw,
    secureContext,
    host: serverHostname === '' ? undefined : serverHostname,
    servername: serverHostname === '' || net.isIP(serverHostname) !== 0 ? undefined : serverHostname,
  }
  if (serverHostname === '') connectOptions.checkServerIdentity = () => undefined
  const socket = tls.connect(connectOptions)
  return settle(socket, raw, 'secureConnect', handshakeTimeout, signal)
}

/**
 * The server's handshake over the connected socket `raw`, through a `tls.Server` that does
 * not listen (the documented way to hand it a connection is its 'connection' event), so that
 * client-certificate checks and the handshake timeout work as for a listening TLS server.
 */
export function serverHandshake (raw: net.Socket, settings: ServerTLSSettings): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const server = tls.createServer({ ...settings.options, handshakeTimeout: settings.handshakeTimeout })
    let done = false
    server.once('secureConnection', (socket: tls.TLSSocket) => {
      done = true
      resolve(socket)
    })
    server.once('tlsClientError', (err: Error, socket: tls.TLSSocket) => {
      // Node destroys the socket only when nobody listens to 'tlsClientError': do it here.
      socket.destroy()
      if (done) return
      done = true
      raw.destroy()
      reject((err as NodeJS.ErrnoException).code === 'ERR_TLS_HANDSHAKE_TIMEOUT'
        ? handshakeTimeoutError(settings.handshakeTimeout)
        : err)
    })
    raw.once('close', () => {
      if (done) return
      done = true
      reject(Object.assign(new Error('Connection lost during the TLS handshake'), { code: 'ECONNRESET' }))
    })
    server.emit('connection', raw)
  })
}

function settle (socket: tls.TLSSocket, raw: net.Socket, event: string, ms: number, signal?: AbortSignal | null): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const fail = (err: Error): void => {
      cleanup()
      socket.destroy()
      raw.destroy()
      reject(err)
    }
    const onError = (err: Error): void => fail(err)
    const onClose = (): void => fail(Object.assign(new Error('Connection lost during the TLS handshake'), { code: 'ECONNRESET' }))
    const onAbort = (): void => fail(Object.assign(new Error('The operation was aborted', { cause: signal?.reason }), { name: 'AbortError', code: 'ABORT_ERR' }))
    const onDone = (): void => {
      cleanup()
      resolve(socket)
    }
    const timer = setTimeout(() => fail(handshakeTimeoutError(ms)), ms)
    const cleanup = (): void => {
      clearTimeout(timer)
      socket.off('error', onError)
      socket.off('close', onClose)
      socket.off(event, onDone)
      signal?.removeEventListener('abort', onAbort)
    }
    socket.on('error', onError)
    socket.on('close', onClose)
    socket.once(event, onDone)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/** Secret bits of a cipher, from its name (Node does not report them). */
function cipherBits (name: string): number | null {
  if (/CHACHA20/i.test(name)) return 256
  const m = /AES[_-]?(128|256)/i.exec(name)
  return m === null ? null : Number(m[1])
}

/** asyncio's extra info of a TLS transport, captured once the handshake is done. */
export function tlsExtra (
  socket: tls.TLSSocket, secureContext: tls.SecureContext, addresses: { peername: Address, sockname: Address },
): Record<string, unknown> {
  const cert = socket.getPeerCertificate()
  const cipher = socket.getCipher()
  return {
    ...addresses,
    peercert: cert === null || Object.keys(cert).length === 0 ? null : cert,
    cipher: [cipher.name, cipher.version, cipherBits(cipher.standardName ?? cipher.name)],
    sslcontext: secureContext,
    ssl_object: socket,
  }
}

/** The warning when `eofReceived` returns true on TLS (asyncio logs the same). */
export const TLS_EOF_WARNING = 'returning true from eofReceived() has no effect when using ssl'
