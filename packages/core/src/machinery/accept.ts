import * as net from 'node:net'
import { OnreadBridge } from './onread-bridge.js'

let rewrapEnabled = true

/**
 * Turns the onread fast path for accepted sockets on or off (it is on by default where Node
 * allows it). Off, accepted sockets read through `'data'` events, the documented fallback.
 * For tests that cover both paths.
 */
export function setAcceptedSocketFastPath (enabled: boolean): void {
  rewrapEnabled = enabled
}

/** Whether an accepted socket's handle can be re-wrapped with `onread` (the capability check). */
function canRewrap (socket: net.Socket): boolean {
  const handle = (socket as unknown as { _handle?: Record<string, unknown> | null })._handle
  return rewrapEnabled && handle != null && !socket.destroyed && socket.readableLength === 0 &&
    typeof handle.readStart === 'function' && typeof handle.readStop === 'function' &&
    typeof handle.useUserBuffer === 'function'
}

/**
 * `net.Server` ignores the `onread` option for accepted sockets, so every read would allocate
 * a fresh buffer. Where the capability check passes, the accepted socket's handle is moved to
 * a new `net.Socket` created with `onread` (the original, now handle-less, is destroyed so the
 * Node server does not wait for it). This uses the undocumented `_handle` field; the
 * documented fallback is to keep the accepted socket and read its `'data'` events.
 */
export function adoptAcceptedSocket (socket: net.Socket, tcp: boolean): { socket: net.Socket, bridge: OnreadBridge | null } {
  if (!canRewrap(socket)) return { socket, bridge: null }
  const owner = socket as unknown as { _handle: unknown }
  const handle = owner._handle
  const bridge = new OnreadBridge()
  let adopted: net.Socket
  try {
    adopted = new net.Socket({
      handle, onread: bridge.onread, allowHalfOpen: true, readable: true, writable: true, pauseOnCreate: true,
    } as net.SocketConstructorOpts)
  } catch {
    return { socket, bridge: null }
  }
  owner._handle = null
  socket.destroy()
  if (tcp) adopted.setNoDelay(true)
  return { socket: adopted, bridge }
}
