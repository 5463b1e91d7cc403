import { spawn } from 'node:child_process'
import * as net from 'node:net'
import { join } from 'node:path'
import type { Readable, Writable } from 'node:stream'
import * as tls from 'node:tls'
import * as buffered from '@wireline/buffered'
import { setAcceptedSocketFastPath } from '@wireline/core/machinery'
import { clientTls, serverTls, tempDir } from '@wireline/core/testing'
import * as stream from '@wireline/stream'

/*
 * The transport kinds a byte-stream run covers, each made through its public entry point with
 * a plain Node peer on the far end: the peer writes into `toTransport` and reads
 * `fromTransport` (null where the kind has no such direction: a read pipe's peer only writes,
 * a write pipe's only reads).
 */

export const STREAM_KINDS = [
  'tcp-client', 'tcp-server', 'tcp-server-data', 'tcp-accepted', 'unix-client', 'unix-server', 'tls-client',
  'tls-server', 'read-pipe', 'write-pipe',
] as const

/**
 * TLS reached another way: an accepted socket handed to `connectAcceptedSocket` with `ssl`,
 * and a plain TCP connection upgraded by `startTls`. Drawn as variants of the TLS kinds (see
 * `kindOf`), so that adding them left every other seed the run it was.
 */
export const TLS_VARIANT_KINDS = ['tls-accepted', 'tls-upgraded'] as const

export type StreamKind = typeof STREAM_KINDS[number] | typeof TLS_VARIANT_KINDS[number]

export interface Pair {
  toTransport: Writable | null
  fromTransport: Readable | null
  /** The peer's socket, for a reset (null for pipes). */
  socket: net.Socket | null
  /** Resolves once every peer stream (and child) has closed. */
  closed: Promise<void>
  /** Releases what the pair made (listeners, temp dirs, the child); idempotent. */
  cleanup(): Promise<void>
  /** The transport to drive when it is not the one `connectionMade` got (after `startTls`). */
  upgraded?: stream.Transport
}

type Factory = () => object

const closedOf = (s: net.Socket): Promise<void> => new Promise((resolve) => {
  if (s.destroyed && s.closed) resolve()
  else s.once('close', () => resolve())
})

function listen (server: net.Server, at: string | number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    if (typeof at === 'string') server.listen(at, () => resolve())
    else server.listen(at, '127.0.0.1', () => resolve())
  })
}

function nextConnection (server: net.Server): Promise<net.Socket> {
  return new Promise((resolve) => {
    server.once(server instanceof tls.Server ? 'secureConnection' : 'connection', (s: net.Socket) => {
      server.close() // one connection per run: stop listening at once
      resolve(s)
    })
  })
}

function socketPair (socket: net.Socket, cleanup: () => Promise<void>): Pair {
  socket.on('error', () => {}) // resets are part of the game; the transport's side is what is checked
  return { toTransport: socket, fromTransport: socket, socket, closed: closedOf(socket), cleanup }
}

/** Makes the transport (through `factory`) and its peer. The transport arrives through the probe's log. */
export async function makePair (kind: StreamKind, factory: Factory, buffer: boolean, made: Promise<unknown>): Promise<Pair> {
  const fam = (buffer ? buffered : stream) as unknown as typeof stream
  const f = factory as () => stream.Protocol
  switch (kind) {
    case 'tcp-client':
    case 'tls-client': {
      const secure = kind === 'tls-client'
      const raw = secure ? tls.createServer(serverTls()) : net.createServer({ allowHalfOpen: true })
      await listen(raw, 0)
      const next = nextConnection(raw)
      const port = (raw.address() as net.AddressInfo).port
      await fam.createConnection(f, '127.0.0.1', port, secure ? { ssl: clientTls() } : {})
      return socketPair(await next, async () => { raw.close() })
    }
    case 'tcp-server':
    case 'tcp-server-data':
    case 'tls-server': {
      const secure = kind === 'tls-server'
      const server = await fam.createServer(f, '127.0.0.1', 0, secure ? { ssl: serverTls() } : {})
      const [, port] = server.addresses()[0] as [string, number]
      setAcceptedSocketFastPath(kind !== 'tcp-server-data')
      const socket = secure
        ? tls.connect({ ...clientTls(), host: '127.0.0.1', port })
        : net.connect({ host: '127.0.0.1', port, allowHalfOpen: true })
      await made
      server.close() // stop listening; the accepted connection goes on
      return socketPair(socket, async () => {
        setAcceptedSocketFastPath(true)
        server.abortClients()
        await server.waitClosed()
      })
    }
    case 'tcp-accepted': {
      const raw = net.createServer({ allowHalfOpen: true })
      await listen(raw, 0)
      const next = nextConnection(raw)
      const client = net.connect({ host: '127.0.0.1', port: (raw.address() as net.AddressInfo).port, allowHalfOpen: true })
      const accepted = await next
      await fam.connectAcceptedSocket(f, accepted)
      return socketPair(client, async () => { raw.close() })
    }
    case 'tls-accepted': {
      const raw = net.createServer({ allowHalfOpen: true })
      await listen(raw, 0)
      const next = nextConnection(raw)
      const client = tls.connect({ ...clientTls(), host: '127.0.0.1', port: (raw.address() as net.AddressInfo).port })
      await fam.connectAcceptedSocket(f, await next, { ssl: serverTls() })
      return socketPair(client, async () => { raw.close() })
    }
    case 'tls-upgraded': {
      // plain TCP first; then the peer's end turns TLS server while ours upgrades with startTls
      const raw = net.createServer({ allowHalfOpen: true })
      await listen(raw, 0)
      const next = nextConnection(raw)
      await fam.createConnection(f, '127.0.0.1', (raw.address() as net.AddressInfo).port)
      const plain = await next
      const before = await made as stream.Transport
      // Node's way to start TLS on a server's socket: hand it to a tls.Server that never
      // listens (a bare `new tls.TLSSocket(plain, { isServer: true })` never saw our end go
      // away while it had writes pending)
      const tlsServer = tls.createServer(serverTls())
      const secured = new Promise<tls.TLSSocket>((resolve) => tlsServer.once('secureConnection', resolve))
      tlsServer.emit('connection', plain)
      const upgraded = await fam.startTls(before, before.getProtocol() as stream.Protocol, clientTls())
      return { ...socketPair(await secured, async () => { raw.close() }), upgraded }
    }
    case 'unix-client':
    case 'unix-server': {
      const dir = tempDir('wireline-soak-')
      const path = join(dir.path, 's')
      if (kind === 'unix-client') {
        const raw = net.createServer({ allowHalfOpen: true })
        await listen(raw, path)
        const next = nextConnection(raw)
        await fam.createUnixConnection(f, path)
        return socketPair(await next, async () => { raw.close(); dir.cleanup() })
      }
      const server = await fam.createUnixServer(f, path)
      const socket = net.connect({ path, allowHalfOpen: true })
      await made
      return socketPair(socket, async () => {
        server.close()
        server.abortClients()
        await server.waitClosed()
        dir.cleanup()
      })
    }
    case 'read-pipe':
    case 'write-pipe': {
      // cat between the peer and the pipe: what goes into its stdin comes out of its stdout
      const child = spawn('cat', [], { stdio: ['pipe', 'pipe', 'ignore'] })
      await new Promise<void>((resolve, reject) => { child.once('spawn', resolve); child.once('error', reject) })
      const stdin = child.stdin!
      const stdout = child.stdout!
      stdin.on('error', () => {})
      stdout.on('error', () => {})
      const exited = new Promise<void>((resolve) => { child.once('close', () => resolve()) })
      if (kind === 'read-pipe') await stream.connectReadPipe(f, stdout as unknown as net.Socket)
      else await stream.connectWritePipe(f, stdin as unknown as net.Socket)
      return {
        toTransport: kind === 'read-pipe' ? stdin : null,
        fromTransport: kind === 'write-pipe' ? stdout : null,
        socket: null,
        closed: exited,
        cleanup: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
          await exited
        },
      }
    }
  }
}
