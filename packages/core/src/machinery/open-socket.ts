import * as net from 'node:net'
import { InvalidStateError } from '../errors.js'
import { describe, invalidArgType } from './args.js'

// Apart from args.ts, which the root entry loads (flow control's checks): node:net stays out of it.

/**
 * A Node socket that is connected and still open (what `connectAcceptedSocket` and the pipe
 * entry points wrap): not a `net.Socket` throws `TypeError`; a destroyed, ended or
 * still-connecting one throws `InvalidStateError` (code `WL_ERR_INVALID_STATE`).
 */
export function validateOpenSocket (socket: unknown, name: string): net.Socket {
  if (!(socket instanceof net.Socket)) throw invalidArgType(`${name} must be a net.Socket, got ${describe(socket)}`)
  if (socket.destroyed || socket.readyState === 'closed') throw new InvalidStateError(`${name} is closed`)
  if (socket.connecting || socket.pending) throw new InvalidStateError(`${name} is still connecting: wait for its 'connect' event`)
  return socket
}
