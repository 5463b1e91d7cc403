import type * as net from 'node:net'
import type * as tls from 'node:tls'
import { callExceptionHandler } from '../exception-handler.js'
import { publishConnectionLost } from '../instrumentation.js'
import type { AnyProtocol } from '../protocol.js'
import type { Address, Transport } from '../transport.js'
import { abortError, asError, checkProtocol, invalidArgType, validateOptions, validateSignal } from './args.js'
import { adoptTlsSocket } from './accept.js'
import { StreamTransport } from './stream-transport.js'
import { clientHandshake, serverHandshake, tlsExtra } from './tls-handshake.js'
import { parseClientTLS, parseServerTLS } from './tls-options.js'
import type { ClientSSL, ClientTLSSettings, ServerSSL, ServerTLSSettings } from './tls-options.js'
import { TLS } from './transport-kinds.js'

/** Options of `startTls` (asyncio's keyword arguments). */
export interface StartTlsOptions {
  /** Be the TLS server of the connection (default: the client). */
  serverSide?: boolean
  /** Client side: the name to check the certificate against; defaults to the peer's host. */
  serverHostname?: string | null
  /** Milliseconds the handshake may take (default 60 000); past it the upgrade fails with `TimeoutError`. */
  sslHandshakeTimeout?: number | null
  /** Gives the upgrade up while it is pending: it fails with an `AbortError`. */
  signal?: AbortSignal | null
}

const START_TLS_OPTIONS = ['serverSide', 'serverHostname', 'sslHandshakeTimeout', 'signal'] as const

/**
 * asyncio `loop.start_tls(transport, protocol, sslcontext)`: upgrades a live TCP or Unix
 * connection to TLS (the STARTTLS pattern of SMTP, IMAP, PostgreSQL) and resolves to the new
 * TLS transport, which carries `protocol` on without a second `connectionMade`.
 *
 * From the call on, the old transport delivers nothing (no plaintext byte reaches the
 * protocol once the upgrade begins), drops writes, and reports `isClosing()`; what was
 * written before is flushed first. A protocol paused for writing stays paused across the
 * upgrade and is resumed by the new transport once its buffer is low (asyncio and uvloop
 * trip an assertion there). The transport may already be TLS (TLS over TLS, as through an
 * HTTPS proxy's tunnel).
 *
 * While the upgrade is pending, `close()` or `abort()` of the old transport, `signal`, or
 * the handshake timeout give it up, as does a failed handshake: the socket is closed (the
 * peer sees the connection end), the promise rejects (`AbortError` for the signal,
 * `TimeoutError` for the timeout, `ECONNABORTED` for a close or an abort, the handshake's
 * error), and the protocol gets `connectionLost(thatError)`.
 */
export function startTls (
  transport: Transport, protocol: AnyProtocol, ssl: ClientSSL | ServerSSL, options?: StartTlsOptions,
): Promise<Transport> {
  if (!(transport instanceof StreamTransport)) {
    throw invalidArgType('transport must be a wireline TCP or Unix transport')
  }
  checkProtocol(protocol)
  const o = validateOptions(options, 'startTls()', START_TLS_OPTIONS)
  const signal = validateSignal(o.signal)
  const serverSide = o.serverSide ?? false
  if (typeof serverSide !== 'boolean') throw invalidArgType('serverSide must be a boolean')
  const peer = transport.getExtraInfo('peername') as Address | undefined
  const defaultHost = Array.isArray(peer) ? peer[0] : null
  const serverSettings = serverSide ? parseServerTLS({ ssl, sslHandshakeTimeout: o.sslHandshakeTimeout }) : null
  const clientSettings = serverSide
    ? null
    : parseClientTLS({ ssl, serverHostname: o.serverHostname, sslHandshakeTimeout: o.sslHandshakeTimeout }, defaultHost)
  if (serverSide && o.serverHostname != null) throw invalidArgType('serverHostname is only meaningful on the client side')
  if (serverSettings === null && clientSettings === null) throw invalidArgType('ssl must be given')

  return upgrade(transport, protocol, serverSettings, clientSettings, signal)
}

async function upgrade (
  transport: StreamTransport, protocol: AnyProtocol,
  serverSettings: ServerTLSSettings | null, clientSettings: ClientTLSSettings | null, signal: AbortSignal | null,
): Promise<Transport> {
  if (signal?.aborted === true) throw abortError(signal) // nothing began: the connection goes on as it was
  const addresses = {
    peername: transport.getExtraInfo('peername') as Address,
    sockname: transport.getExtraInfo('sockname') as Address,
  }
  // After the hand-over, giving up closes the socket under the handshake, which then fails;
  // `reason` is what the upgrade fails with instead of that.
  let reason: Error | null = null
  let socket: net.Socket | null = null
  const onCancel = (err: Error): void => {
    if (reason !== null) return
    reason = err
    socket?.destroy()
  }
  const onAbort = (): void => { transport.cancelUpgrade(abortError(signal)) }
  signal?.addEventListener('abort', onAbort, { once: true })
  try {
    // Synchronously (this runs before the first await): reading stops and the protocol hears
    // nothing more from the old transport. A failure before the hand-over has already ended
    // the protocol with connectionLost.
    const state = await transport.beginUpgrade(onCancel)
    socket = state.socket
    socket.on('error', () => {}) // its errors surface through the TLS socket from now on
    let secured: tls.TLSSocket
    try {
      if (reason !== null) throw reason
      secured = serverSettings !== null
        ? await serverHandshake(socket, serverSettings)
        : await clientHandshake(socket, clientSettings!)
      if (reason !== null) {
        secured.destroy()
        throw reason
      }
    } catch (err) {
      const error: Error = reason ?? asError(err)
      socket.destroy()
      endProtocol(transport, protocol, error)
      throw error
    }
    const secureContext = (serverSettings ?? clientSettings)!.secureContext
    const upgraded = new StreamTransport({
      socket: secured,
      onread: adoptTlsSocket(secured),
      protocol,
      kind: TLS,
      extra: tlsExtra(secured, secureContext, addresses),
      owner: state.owner,
      flowState: state.flowState,
    })
    upgraded.start({ callProtocol: false })
    // The caller gets the new transport first; then a protocol paused before the upgrade is
    // resumed if the new buffer is low enough (or later, as it drains).
    setImmediate(() => upgraded.resumeAfterUpgrade())
    return upgraded
  } finally {
    transport.endUpgrade()
    signal?.removeEventListener('abort', onAbort)
  }
}

/** The protocol's `connectionLost(error)` for an upgrade that failed after the hand-over. */
function endProtocol (transport: StreamTransport, protocol: AnyProtocol, error: Error): void {
  try {
    protocol.connectionLost?.(error)
  } catch (exception) {
    callExceptionHandler({ message: 'protocol.connectionLost() failed', exception, transport, protocol })
  }
  publishConnectionLost(transport, protocol, error)
}
