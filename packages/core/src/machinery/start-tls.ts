import { InvalidStateError } from '../errors.js'
import type { AnyProtocol } from '../protocol.js'
import type { Address, Transport } from '../transport.js'
import { checkProtocol, invalidArgType, validateOptions } from './args.js'
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
  /** Milliseconds the handshake may take (default 60 000). */
  sslHandshakeTimeout?: number | null
}

/** The option names `startTls` takes (`signal` is its abort signal). */
export const START_TLS_OPTIONS = ['serverSide', 'serverHostname', 'sslHandshakeTimeout', 'signal'] as const

/**
 * asyncio `loop.start_tls(transport, protocol, sslcontext)`: upgrades a live TCP or Unix
 * connection to TLS (the STARTTLS pattern of SMTP, IMAP, PostgreSQL) and resolves to the new
 * TLS transport, which carries `protocol` on without a second `connectionMade`.
 *
 * From the call on, the old transport delivers nothing (no plaintext byte reaches the
 * protocol once the upgrade begins), drops writes, and reports `isClosing()`; what was
 * written before is flushed first. A protocol paused for writing stays paused across the
 * upgrade and is resumed by the new transport once its buffer is low (asyncio and uvloop
 * trip an assertion there). On a failed handshake the connection is closed and the promise
 * rejects; the protocol gets no further callback.
 */
export function startTls (
  transport: Transport, protocol: AnyProtocol, ssl: ClientSSL | ServerSSL, options?: StartTlsOptions,
): Promise<Transport> {
  if (!(transport instanceof StreamTransport)) {
    throw invalidArgType('transport must be a wireline TCP or Unix transport')
  }
  checkProtocol(protocol)
  const o = validateOptions(options, 'startTls()', START_TLS_OPTIONS)
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

  return upgrade(transport, protocol, serverSettings, clientSettings)
}

async function upgrade (
  transport: StreamTransport, protocol: AnyProtocol,
  serverSettings: ServerTLSSettings | null, clientSettings: ClientTLSSettings | null,
): Promise<Transport> {
  if (transport.getExtraInfo('ssl_object') !== undefined) throw new InvalidStateError('transport is already TLS')
  const addresses = {
    peername: transport.getExtraInfo('peername') as Address,
    sockname: transport.getExtraInfo('sockname') as Address,
  }
  // Synchronously (this runs before the first await): reading stops and the protocol hears
  // nothing more from the old transport.
  const state = await transport.beginUpgrade()
  state.socket.on('error', () => {}) // its errors surface through the TLS socket from now on
  const secured = serverSettings !== null
    ? await serverHandshake(state.socket, serverSettings)
    : await clientHandshake(state.socket, clientSettings!)
  const secureContext = (serverSettings ?? clientSettings)!.secureContext
  const upgraded = new StreamTransport({
    socket: secured,
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
}
