import * as dgram from 'node:dgram'
import * as dns from 'node:dns'
import { isIP } from 'node:net'
import { UnsupportedError } from '@wireline/core'
import { abortError, makeProtocol, reusePortSupported, traceConnect, validateFactory } from '@wireline/core/machinery'
import type { ProtocolFactory } from '@wireline/core'
import { literalFamily, pairAddresses, parseEndpointOptions, wildcard } from './address.js'
import type { Candidate, DatagramEndpointOptions, EndpointSpec, IPFamily, ResolvedAddress } from './address.js'
import { UDPTransport } from './udp-transport.js'
import type { DefaultRemote } from './udp-transport.js'
import type { DatagramAddress, DatagramProtocolShape, DatagramTransport } from './transport.js'

/**
 * The socket's `lookup`: address literals answer at once, so that `bind`, `connect` and
 * `send` to an IP address run synchronously (Node's default lookup defers each one to the next
 * tick); anything else goes to `dns.lookup`.
 */
let lastLiteral = ''
let lastLiteralFamily = 0

function lookup (
  address: string, options: number | dns.LookupOneOptions,
  callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  // An echo server answers the same few hosts over and over: remember the last literal.
  if (address === lastLiteral) {
    callback(null, address, lastLiteralFamily)
    return
  }
  const f = isIP(address)
  if (f !== 0) {
    lastLiteral = address
    lastLiteralFamily = f
    callback(null, address, f)
    return
  }
  dns.lookup(address, typeof options === 'number' ? { family: options } : options, callback)
}

async function resolveHost (host: string, family: IPFamily | null): Promise<Array<{ address: string, family: IPFamily }>> {
  const f = literalFamily(host)
  if (f !== null) return [{ address: host, family: f }]
  const found = await dns.promises.lookup(host, { all: true, verbatim: true, family: family ?? 0 })
  return found.filter((a) => a.family === 4 || a.family === 6) as Array<{ address: string, family: IPFamily }>
}

/** The endpoint's candidate sockets: addresses resolved, then paired as asyncio pairs them. */
async function candidates (spec: EndpointSpec): Promise<Candidate[]> {
  const resolveSide = async (addr: DatagramAddress | null): Promise<ResolvedAddress[]> => {
    if (addr === null) return []
    const [host, port] = addr
    if (host === '') {
      return (spec.family !== null ? [spec.family] : [4, 6] as const).map((f) => ({ family: f, addr: [wildcard(f), port] }))
    }
    return (await resolveHost(host, spec.family)).map((a) => ({ family: a.family, addr: [a.address, port] }))
  }
  return pairAddresses(spec, await resolveSide(spec.localAddr), await resolveSide(spec.remoteAddr))
}

/** Creates, binds and (unless only recording it) connects a socket; rejects with Node's error. */
async function openSocket (c: Candidate, spec: EndpointSpec): Promise<dgram.Socket> {
  return await new Promise<dgram.Socket>((resolve, reject) => {
    const options: dgram.SocketOptions & { reusePort?: boolean } = { type: c.family === 6 ? 'udp6' : 'udp4', lookup }
    if (spec.reusePort) options.reusePort = true
    const socket = dgram.createSocket(options)
    let settled = false
    const fail = (err: Error): void => {
      if (settled) return
      settled = true
      socket.off('error', fail)
      try {
        socket.close()
      } catch {
        // never bound: nothing to close
      }
      // The socket keeps a listener: a late error must not crash the process.
      socket.on('error', () => {})
      reject(err)
    }
    const done = (): void => {
      if (settled) return
      settled = true
      socket.off('error', fail)
      resolve(socket)
    }
    socket.on('error', fail)
    const [host, port] = c.local ?? [wildcard(c.family), 0]
    try {
      socket.bind({ address: host, port, exclusive: true }, () => {
        try {
          if (spec.allowBroadcast) socket.setBroadcast(true)
        } catch (err) {
          fail(err as Error)
          return
        }
        if (c.remote === null || spec.allowBroadcast) {
          done()
          return
        }
        socket.connect(c.remote[1], c.remote[0], (err?: Error) => {
          if (err != null) fail(err)
          else done()
        })
      })
    } catch (err) {
      fail(err as Error)
    }
  })
}

/**
 * asyncio `loop.create_datagram_endpoint(protocol_factory, local_addr=..., remote_addr=...)`:
 * opens a UDP socket, bound to `localAddr` (or to a free port on every interface) and, with
 * `remoteAddr`, connected to it; then calls the factory and `connectionMade`, and resolves to
 * `[transport, protocol]`. Host names are resolved first; addresses may be IPv4 or IPv6.
 *
 * Throws at once (`TypeError` / `RangeError`, with Node's `code`) for bad arguments: no
 * address and no family, a malformed address, addresses of different IP versions. Rejects
 * with Node's error (`code` intact: EADDRINUSE, ENOTFOUND, ...) and calls no protocol callback
 * when the socket cannot be bound or connected; rejects with `UnsupportedError` for
 * `reusePort` on a Node that cannot set it; rejects with the thrown error when the factory or
 * `connectionMade` throws.
 */
export function createDatagramEndpoint<P extends DatagramProtocolShape> (
  factory: ProtocolFactory<P>, options?: DatagramEndpointOptions,
): Promise<[DatagramTransport, P]> {
  validateFactory(factory)
  const spec = parseEndpointOptions(options)
  return traceConnect({ family: 'udp', localAddr: spec.localAddr, remoteAddr: spec.remoteAddr }, () => openEndpoint(factory, spec))
}

function throwIfAborted (signal: AbortSignal | null): void {
  if (signal !== null && signal.aborted) throw abortError(signal)
}

async function openEndpoint<P extends DatagramProtocolShape> (
  factory: ProtocolFactory<P>, spec: EndpointSpec,
): Promise<[DatagramTransport, P]> {
  if (spec.reusePort && !reusePortSupported()) {
    throw new UnsupportedError(`reusePort is not supported by Node ${process.versions.node} (needs 22.12+ or 23.1+)`)
  }
  throwIfAborted(spec.signal)
  const errors: Error[] = []
  let socket: dgram.Socket | null = null
  let chosen: Candidate | null = null
  for (const c of await candidates(spec)) {
    throwIfAborted(spec.signal)
    try {
      socket = await openSocket(c, spec)
      chosen = c
      break
    } catch (err) {
      errors.push(err as Error)
    }
  }
  if (socket === null || chosen === null) throw errors[0]!
  if (spec.signal !== null && spec.signal.aborted) {
    socket.on('error', () => {})
    socket.close()
    throw abortError(spec.signal)
  }

  let protocol: P
  try {
    protocol = makeProtocol(factory)
  } catch (err) {
    socket.on('error', () => {})
    socket.close()
    throw err
  }
  let remote: DefaultRemote | null = null
  if (spec.remoteAddr !== null && chosen.remote !== null) {
    remote = { given: spec.remoteAddr, resolved: chosen.remote, connected: !spec.allowBroadcast }
  }
  const transport = new UDPTransport({ socket, protocol, family: chosen.family, remote })
  const error = transport._connectionMade()
  if (error !== null) throw error
  return [transport, protocol]
}
