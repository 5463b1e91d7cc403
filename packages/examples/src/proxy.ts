// A TCP proxy: two stream Protocols coupled back to back (see the README's recipe).
//
//   pnpm --filter @wireline/examples proxy <listen-port> <upstream-host> <upstream-port>
//
// What it teaches about transports:
//
// - Coupling flow control across two connections: what one side receives is written to the
//   other, and when that other transport's buffer goes over its high-water mark
//   (`pauseWriting`), the first side stops reading (`pauseReading`); `resumeWriting` resumes
//   it. TCP's own window then pushes back on the sender, so a fast sender and a slow reader
//   meet through the proxy with no more in the proxy's memory than the high-water mark plus
//   one read, in each direction.
// - Half-close passes through: a side's EOF (`eofReceived`) becomes `writeEof()` on the
//   other side, and returning true keeps the first side open for what still comes back. The
//   proxy closes both once both directions have ended.
// - Endings propagate: a side lost cleanly closes the other (flushing what is buffered); a
//   side lost with an error (a reset) aborts the other, as the peer would have seen.
import { Protocol, createConnection, createServer, type Server, type Transport } from '@wireline/stream'
import { isMain } from './lib/py.js'

/** One side of a proxied connection: what it receives goes to `peer`. */
export class ProxySide extends Protocol {
  transport: Transport | null = null
  peer: ProxySide | null = null
  /** This side's peer sent its EOF. */
  eof = false
  /** Bytes received on this side (and written to the other). */
  bytes = 0
  /** How many times this side's transport paused writing (and so paused the other's reading). */
  pauses = 0
  /** The largest write buffer seen on the other side's transport after a write into it. */
  maxBuffered = 0
  #lost = false

  override connectionMade (transport: Transport): void {
    this.transport = transport
  }

  override dataReceived (data: Uint8Array): void {
    const out = this.peer!.transport!
    this.bytes += data.byteLength
    out.write(data) // over the high-water mark, this calls the peer's pauseWriting, which pauses our reading
    const buffered = out.getWriteBufferSize()
    if (buffered > this.maxBuffered) this.maxBuffered = buffered
  }

  override eofReceived (): boolean {
    this.eof = true
    const peer = this.peer!
    if (peer.transport!.canWriteEof()) peer.transport!.writeEof()
    else peer.transport!.close()
    if (peer.eof) {
      // both directions are done: close both (each flushes first)
      peer.transport!.close()
      return false
    }
    return true // keep this side open for what the other side still sends
  }

  /** Our transport is full: stop reading the side that fills it. */
  override pauseWriting (): void {
    this.pauses++
    this.peer?.transport?.pauseReading()
  }

  override resumeWriting (): void {
    this.peer?.transport?.resumeReading()
  }

  override connectionLost (exc: Error | null): void {
    this.#lost = true
    const peer = this.peer
    if (peer === null || peer.#lost || peer.transport === null) return
    if (exc === null) peer.transport.close()
    else peer.transport.abort()
  }

  /** True once this side's connection is gone. */
  get lost (): boolean { return this.#lost }
}

/**
 * The side a client connects to: holds the client's bytes back (`pauseReading` in
 * `connectionMade`) until the upstream connection is made, then couples the two sides.
 */
export class ClientSide extends ProxySide {
  constructor (readonly upstreamHost: string, readonly upstreamPort: number) {
    super()
  }

  override connectionMade (transport: Transport): void {
    super.connectionMade(transport)
    transport.pauseReading()
    createConnection(() => {
      // coupled from the start: the upstream may speak first (a greeting), and its data or
      // its pauseWriting must reach this side before the promise settles
      const up = new ProxySide()
      up.peer = this
      this.peer = up
      return up
    }, this.upstreamHost, this.upstreamPort).then(([upTransport]) => {
      if (this.lost) {
        upTransport.close() // the client left while we were connecting
        return
      }
      transport.resumeReading()
    }, () => {
      transport.abort() // the upstream refused: the client sees a reset, as with no proxy
    })
  }
}

/** Listens on `host:port` and proxies every connection to `upstreamHost:upstreamPort`. */
export function createProxy (upstreamHost: string, upstreamPort: number, host = '127.0.0.1', port = 0,
  make: () => ClientSide = () => new ClientSide(upstreamHost, upstreamPort)): Promise<Server> {
  return createServer(make, host, port, { backlog: 511 })
}

if (isMain('proxy')) {
  const [listenPort, upstreamHost, upstreamPort] = process.argv.slice(2)
  if (upstreamPort === undefined) {
    console.error('usage: proxy <listen-port> <upstream-host> <upstream-port>')
    process.exit(2)
  }
  const server = await createProxy(upstreamHost!, Number(upstreamPort), '127.0.0.1', Number(listenPort))
  const [, port] = server.addresses()[0] as [string, number]
  console.log(`Proxying 127.0.0.1:${port} to ${upstreamHost}:${upstreamPort}`)
  const stop = (): void => { server.close(); server.closeClients() }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
  await server.waitClosed()
}
