import { EventEmitter } from 'node:events'
import * as net from 'node:net'

type EndListener = (this: net.Socket) => void

/** Node's own `'end'` listener of every `net.Socket`; null where there is none (learnt once). */
let nodeEnd: EndListener | null | undefined

/**
 * Node gives every `net.Socket` an `'end'` listener of its own (it makes a socket that is not
 * half-open refuse writes after the peer's FIN). Learnt from a socket made for the purpose, with
 * no handle, so that no other code can have added to it; null if that socket has not exactly one.
 */
function nodeEndListener (): EndListener | null {
  if (nodeEnd === undefined) {
    const listeners = new net.Socket().rawListeners('end')
    nodeEnd = listeners.length === 1 ? listeners[0] as EndListener : null
  }
  return nodeEnd
}

/** `listenerCount(name, listener)` counts that listener only (Node 18.16+); else the array is read. */
const countsOneListener = ((): boolean => {
  const emitter = new EventEmitter()
  emitter.on('end', () => {})
  return emitter.listenerCount('end', () => {}) === 0
})()

/** True when Node's listener is the socket's only `'end'` listener (read without making an array). */
function onlyNodeListens (socket: net.Socket, node: EndListener): boolean {
  if (socket.listenerCount('end') !== 1) return false
  return countsOneListener ? socket.listenerCount('end', node) === 1 : socket.rawListeners('end')[0] === node
}

/** For each listener given to `onSocketEnd`, the one function that runs Node's and then it. */
const afterNode = new Map<EndListener, EndListener>()

function afterNodeOf (listener: EndListener, node: EndListener): EndListener {
  let both = afterNode.get(listener)
  if (both === undefined) {
    both = function (this: net.Socket): void {
      node.call(this)
      listener.call(this)
    }
    afterNode.set(listener, both)
  }
  return both
}

/**
 * Listens to the socket's `'end'` with `listener` (a function every socket shares). Where
 * Node's own listener is the only one, one function takes its place that runs Node's and then
 * `listener`: a second listener would turn the socket's `'end'` into an array, 64 bytes a
 * connection.
 */
export function onSocketEnd (socket: net.Socket, listener: EndListener): void {
  const node = nodeEndListener()
  if (node !== null && onlyNodeListens(socket, node)) {
    socket.off('end', node)
    socket.on('end', afterNodeOf(listener, node))
  } else {
    socket.on('end', listener)
  }
}

/** Undoes `onSocketEnd(socket, listener)`: Node's own listener is back where it took its place. */
export function offSocketEnd (socket: net.Socket, listener: EndListener): void {
  const both = afterNode.get(listener)
  if (both !== undefined && socket.rawListeners('end').includes(both)) {
    socket.off('end', both)
    socket.on('end', nodeEnd!)
  } else {
    socket.off('end', listener)
  }
}
