import { spawn } from 'node:child_process'
import * as net from 'node:net'
import { join } from 'node:path'
import * as tls from 'node:tls'
import type { AnyProtocol, Transport } from '../src/index.js'
import {
  READ_PIPE, StreamTransport, WRITE_PIPE, connectAcceptedSocket, createConnection, createServer, createUnixConnection,
  createUnixServer, setAcceptedSocketFastPath, startTls,
} from '../src/machinery/index.js'
import type { Server } from '../src/machinery/index.js'
import { clientTls, serverTls, streamPeer, tempDir } from '../src/testing/index.js'
import type { CompliancePair } from '../src/testing/index.js'

/*
 * Connected pairs for the compliance suite, one maker per transport kind: the transport under
 * test (made by core's machinery) and a plain Node socket or stream as its peer.
 */

type Listening = { server: net.Server, next: Promise<net.Socket> }

/** A plain `net` (or `tls`) server that hands out its first connection. */
async function listen (server: net.Server, at: { port: number, host: string } | string): Promise<Listening> {
  const next = new Promise<net.Socket>((resolve) => {
    server.once(server instanceof tls.Server ? 'secureConnection' : 'connection', resolve)
  })
  await new Promise<void>((resolve) => {
    if (typeof at === 'string') server.listen(at, resolve)
    else server.listen(at.port, at.host, resolve)
  })
  return { server, next }
}

function closeServer (server: net.Server): Promise<void> {
  return new Promise((resolve) => { server.close(() => resolve()) })
}

async function closeWireline (server: Server): Promise<void> {
  server.close()
  server.abortClients()
  await server.waitClosed()
}

function portOf (server: net.Server): number {
  return (server.address() as net.AddressInfo).port
}

/** Our client over TCP (TLS with `secure`) to a plain Node server as the peer. */
export async function tcpClient (protocol: AnyProtocol, secure = false): Promise<CompliancePair> {
  // TLS has no half-close: a TLS peer answers our close_notify with its own, as Node's does by default
  const raw = secure ? tls.createServer(serverTls()) : net.createServer({ allowHalfOpen: true })
  const { server, next } = await listen(raw, { port: 0, host: '127.0.0.1' })
  const [transport] = await createConnection(() => protocol, '127.0.0.1', portOf(server), secure ? { ssl: clientTls() } : {})
  const socket = await next
  return { transport, peer: streamPeer(socket, socket), cleanup: () => closeServer(server) }
}

/** A connection our server accepted (TLS with `secure`), a plain Node client as the peer. */
export async function tcpAccepted (protocol: AnyProtocol, { secure = false, fastPath = true } = {}): Promise<CompliancePair> {
  const made = new Promise<Transport>((resolve) => {
    const p = protocol as { connectionMade?: (t: Transport) => void }
    const original = p.connectionMade?.bind(p)
    p.connectionMade = (t) => { original?.(t); resolve(t) }
  })
  const server = await createServer(() => protocol, '127.0.0.1', 0, secure ? { ssl: serverTls() } : {})
  const [, port] = server.addresses()[0] as [string, number]
  // the fast path is chosen when the connection is accepted
  setAcceptedSocketFastPath(fastPath)
  let socket: net.Socket
  let transport: Transport
  try {
    socket = secure
      ? tls.connect({ ...clientTls(), host: '127.0.0.1', port })
      : net.connect({ host: '127.0.0.1', port, allowHalfOpen: true })
    transport = await made
  } finally {
    setAcceptedSocketFastPath(true)
  }
  return { transport, peer: streamPeer(socket, socket), cleanup: () => closeWireline(server) }
}

/** Our client over a Unix socket to a plain Node server, or (`accepted`) our server's side. */
export async function unixPair (protocol: AnyProtocol, accepted: boolean): Promise<CompliancePair> {
  const dir = tempDir()
  const path = join(dir.path, 's')
  if (!accepted) {
    const { server, next } = await listen(net.createServer({ allowHalfOpen: true }), path)
    const [transport] = await createUnixConnection(() => protocol, path)
    const socket = await next
    return { transport, peer: streamPeer(socket, socket), cleanup: async () => { await closeServer(server); dir.cleanup() } }
  }
  let resolveMade!: (t: Transport) => void
  const made = new Promise<Transport>((resolve) => { resolveMade = resolve })
  const p = protocol as { connectionMade?: (t: Transport) => void }
  const original = p.connectionMade?.bind(p)
  p.connectionMade = (t) => { original?.(t); resolveMade(t) }
  const server = await createUnixServer(() => protocol, path)
  const socket = net.connect({ path, allowHalfOpen: true })
  const transport = await made
  return { transport, peer: streamPeer(socket, socket), cleanup: async () => { await closeWireline(server); dir.cleanup() } }
}

/** A plain Node socket pair wrapped on one end with `connectAcceptedSocket`. */
export async function acceptedSocket (protocol: AnyProtocol): Promise<CompliancePair> {
  const { server, next } = await listen(net.createServer({ allowHalfOpen: true }), { port: 0, host: '127.0.0.1' })
  const client = net.connect({ host: '127.0.0.1', port: portOf(server), allowHalfOpen: true })
  const socket = await next
  const [transport] = await connectAcceptedSocket(() => protocol, socket)
  return { transport, peer: streamPeer(client, client), cleanup: () => closeServer(server) }
}

/** A TCP connection upgraded by `startTls` (we are the client), the peer a `TLSSocket` over the raw socket. */
export async function upgradedTls (protocol: AnyProtocol): Promise<CompliancePair> {
  const { server, next } = await listen(net.createServer(), { port: 0, host: '127.0.0.1' })
  const [plain] = await createConnection(() => protocol, '127.0.0.1', portOf(server))
  const raw = await next
  const secured = new tls.TLSSocket(raw, { ...serverTls(), isServer: true })
  const transport = await startTls(plain, protocol, clientTls(), { serverHostname: 'localhost' })
  return { transport, peer: streamPeer(secured, secured), cleanup: () => closeServer(server) }
}

/** A pipe transport over a `cat` child's stdin (`write`) or stdout (`read`); the peer is the other end. */
export async function catPipe (protocol: AnyProtocol, direction: 'read' | 'write'): Promise<CompliancePair> {
  const child = spawn('cat', [], { stdio: ['pipe', 'pipe', 'inherit'] })
  await new Promise<void>((resolve, reject) => { child.once('spawn', resolve); child.once('error', reject) })
  const stdin = child.stdin as net.Socket
  const stdout = child.stdout as net.Socket
  const transport = direction === 'write'
    ? new StreamTransport({ socket: stdin, protocol, kind: WRITE_PIPE, extra: { pipe: stdin } })
    : new StreamTransport({ socket: stdout, protocol, kind: READ_PIPE, extra: { pipe: stdout } })
  const error = transport.start()
  if (error !== null) throw error
  const peer = direction === 'write' ? streamPeer(stdout, null) : streamPeer(null, stdin)
  const exited = new Promise<void>((resolve) => { if (child.exitCode !== null) resolve(); else child.once('exit', () => resolve()) })
  return {
    transport,
    peer: { ...peer, destroy: () => { peer.destroy(); child.kill('SIGKILL') } },
    cleanup: () => exited,
  }
}
