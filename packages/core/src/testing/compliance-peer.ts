import type { Readable, Writable } from 'node:stream'

/**
 * The far end of a transport under the compliance suite, driven as plain Node streams: it
 * sends bytes and EOF to the transport and collects what the transport writes. Each side is
 * optional: a read pipe's peer only writes, a write pipe's peer only reads.
 */
export interface CompliancePeer {
  /** Sends bytes to the transport (its read side). */
  send?(data: Uint8Array): void
  /** Half-closes toward the transport: its `eofReceived`. */
  sendEof?(): void
  /** Stops reading what the transport writes, so its write buffer fills up. */
  pause?(): void
  /** Reads again (and drains what waited). */
  resume?(): void
  /** Bytes received from the transport so far. */
  received?(): Buffer
  /** Resolves with everything received once the peer saw the transport's end (EOF or close). */
  ended?(): Promise<Buffer>
  /** Tears the peer down (idempotent). */
  destroy(): void
}

/**
 * A peer over Node streams: `readable` is where the transport's bytes arrive (null if the
 * transport does not write), `writable` where bytes for the transport go (null if it does
 * not read). For a socket, pass it as both.
 */
export function streamPeer (readable: Readable | null, writable: Writable | null): CompliancePeer {
  const chunks: Buffer[] = []
  let ended: Promise<Buffer> | null = null
  if (readable !== null) {
    readable.on('data', (c: Buffer) => { chunks.push(c) })
    readable.on('error', () => {}) // a reset is what some tests cause: the end is what counts
    ended = new Promise((resolve) => {
      const done = (): void => resolve(Buffer.concat(chunks))
      readable.once('end', done)
      readable.once('close', done)
    })
  }
  writable?.on('error', () => {})
  const peer: CompliancePeer = {
    destroy: () => {
      readable?.destroy()
      writable?.destroy()
    },
  }
  if (writable !== null) {
    peer.send = (data) => { writable.write(data) }
    peer.sendEof = () => { writable.end() }
  }
  if (readable !== null) {
    peer.pause = () => { readable.pause() }
    peer.resume = () => { readable.resume() }
    peer.received = () => Buffer.concat(chunks)
    peer.ended = () => ended!
  }
  return peer
}
