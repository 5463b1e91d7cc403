import type * as net from 'node:net'
import { adoptOnread } from './onread.js'

let adoptEnabled = true

/**
 * Turns the onread fast path for accepted sockets on or off (it is on by default where Node
 * allows it). Off, accepted sockets read through `'data'` events, the documented fallback.
 * For tests that cover both paths.
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
