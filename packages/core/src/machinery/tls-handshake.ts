import * as net from 'node:net'
import type * as tls from 'node:tls'
import { TimeoutError } from '../errors.js'
import type { Address } from '../transport.js'
import { abortError } from './args.js'
import { tls as loadTls } from './builtins.js'
import type { ClientTLSSettings, ServerTLSSettings } from './tls-options.js'

/*
 * TLS handshakes over a connected socket, client and server side, and the extra info of a TLS
 * transport. The transport itself is the shared `StreamTransport` (kind `TLS`) over the
 * `tls.TLSSocket`.
 */

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
  const socket = loadTls().connect(connectOptions)
  return settle(socket, raw, 'secureConnect', handshakeTimeout, signal)
}

/**
 * The server's handshake over the connected socket `raw`, through a `tls.Server` that does
 * not listen (the documented way to hand it a connection is its 'connection' event), so that
 * client-certificate checks and the handshake timeout work as for a listening TLS server.
 */
export function serverHandshake (raw: net.Socket, settings: ServerTLSSettings): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const server = loadTls().createServer({ ...settings.options, handshakeTimeout: settings.handshakeTimeout })
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
    const onAbort = (): void => fail(abortError(signal ?? null))
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
