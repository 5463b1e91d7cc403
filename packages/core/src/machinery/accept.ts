import type * as net from 'node:net'
import type * as tls from 'node:tls'
import { tls as loadTls } from './builtins.js'
import { adoptOnread } from './onread.js'

let adoptEnabled = true

/**
 * Turns the onread fast path for accepted sockets and TLS sockets on or off (it is on by
 * default where Node allows it). Off, they read through `'data'` events, the documented
 * fallback. For tests that cover both paths.
 */
export function setAcceptedSocketFastPath (enabled: boolean): void {
  adoptEnabled = enabled
}

/**
 * `net.Server` ignores the `onread` option for accepted sockets, so every read would allocate
 * a fresh buffer. Where Node allows it (see `adoptOnread`), the accepted socket is given the
 * `onread` option in place (the server accepts paused, so nothing was read yet); true if it
 * was. Otherwise it reads through `'data'` events, the documented fallback.
 */
export function adoptAcceptedSocket (socket: net.Socket): boolean {
  return adoptEnabled && adoptOnread(socket)
}

/**
 * A `TLSSocket` (client or server side, once its handshake is done) ignores the `onread`
 * option when it wraps a connected socket, as every TLS socket here does, so each decrypted
 * piece would come in a fresh buffer. Node's TLS layer hands decrypted bytes to the same
 * listener as a TCP socket's reads, so the option can be given in place (see `adoptOnread`):
 * decrypted bytes are then copied into the read buffer all sockets share. True if it was;
 * false (`'data'` events) where the socket already holds bytes the handshake's last flight
 * brought, or the runtime does not allow it.
 */
export function adoptTlsSocket (socket: tls.TLSSocket): boolean {
  return adoptEnabled && adoptOnread(socket, loadTls().TLSSocket.prototype)
}
