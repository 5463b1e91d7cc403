import type * as tls from 'node:tls'
import { SSL_HANDSHAKE_TIMEOUT } from '../constants.js'
import { invalidArgType, invalidArgValue, outOfRange } from './args.js'
import { tls as loadTls } from './builtins.js'

/*
 * The TLS options of every stream-like entry point, checked as asyncio checks them, and the
 * settings they become: a secure context made once, the name to verify, the handshake timeout.
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
  const secureContext = options.secureContext ?? loadTls().createSecureContext(options)
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
  const secureContext = options.secureContext ?? loadTls().createSecureContext(options)
  return { options, secureContext, handshakeTimeout }
}
