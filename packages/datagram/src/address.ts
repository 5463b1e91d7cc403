import { isIP } from 'node:net'
import { invalidArgType, invalidArgValue, outOfRange, validateNoNul, validateOptions, validateSignal } from '@wireline/core/machinery'
import type { DatagramAddress } from './transport.js'

/** `4` or `6`: the IP version of a socket. */
export type IPFamily = 4 | 6

function describe (value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return `an array of length ${value.length}`
  return typeof value
}

/** A `TypeError` with Node's `ERR_MISSING_ARGS` code. */
export function missingArgs (message: string): TypeError {
  return Object.assign(new TypeError(message), { code: 'ERR_MISSING_ARGS' })
}

/**
 * Checks that `value` is `[host, port]` with a non-empty host and a port in range, and
 * returns it. `minPort` is 0 where the system may pick the port (a local address), 1 for a
 * destination. Throws `TypeError` (`ERR_INVALID_ARG_TYPE`) for the wrong shape and
 * `RangeError` (`ERR_OUT_OF_RANGE`) for a port out of range. `checkedHost`: a host that
 * passed this check before (a sender's last destination), not searched for null bytes again.
 */
export function checkAddress (value: unknown, name: string, minPort: 0 | 1, checkedHost?: string): DatagramAddress {
  if (!Array.isArray(value) || value.length !== 2) {
    throw invalidArgType(`${name} must be [host, port], got ${describe(value)}`)
  }
  const host: unknown = value[0]
  const port: unknown = value[1]
  if (typeof host !== 'string') throw invalidArgType(`${name} host must be a string, got ${describe(host)}`)
  if (typeof port !== 'number') throw invalidArgType(`${name} port must be a number, got ${describe(port)}`)
  if (!Number.isInteger(port) || port < minPort || port > 65535) {
    throw outOfRange(`${name} port must be an integer from ${minPort} to 65535, got ${port}`)
  }
  if (host.length === 0 && minPort === 1) throw invalidArgValue(`${name} host must not be empty`)
  if (host !== checkedHost) validateNoNul(host, `${name} host`)
  return value as DatagramAddress
}

/** `4`, `6` or `null` (any) from the `family` option: 4, 6, 'IPv4', 'IPv6', 0 or nothing. */
export function parseFamily (value: unknown): IPFamily | null {
  if (value === undefined || value === null || value === 0) return null
  if (value === 4 || value === 'IPv4') return 4
  if (value === 6 || value === 'IPv6') return 6
  if (typeof value !== 'number' && typeof value !== 'string') {
    throw invalidArgType(`family must be 4, 6, 'IPv4' or 'IPv6', got ${describe(value)}`)
  }
  throw invalidArgValue(`family must be 4, 6, 'IPv4' or 'IPv6', got ${JSON.stringify(value)}`)
}

/** The IP version of an address literal, or null for a host name. */
export function literalFamily (host: string): IPFamily | null {
  const f = isIP(host)
  return f === 0 ? null : f as IPFamily
}

/** `['::1', 53]` → `"('::1', 53)"`, asyncio's way of showing an address in messages. */
export function formatAddress (addr: DatagramAddress): string {
  return `('${addr[0]}', ${addr[1]})`
}

/** Options of `createDatagramEndpoint` (asyncio `create_datagram_endpoint`'s keyword arguments). */
export interface DatagramEndpointOptions {
  /** Bind to `[host, port]` (port 0: any free port; host `''`: every interface). */
  localAddr?: DatagramAddress | null
  /**
   * Connect to `[host, port]`: only its datagrams are received, `sendto` may omit the
   * address, and an ICMP refusal reaches `errorReceived` (ECONNREFUSED).
   */
  remoteAddr?: DatagramAddress | null
  /** 4 (`'IPv4'`) or 6 (`'IPv6'`); needed when neither address is given, else it filters them. */
  family?: 4 | 6 | 'IPv4' | 'IPv6' | 0 | null
  /** SO_REUSEPORT: several sockets share the port (where the running Node supports it, 22.12+). */
  reusePort?: boolean | null
  /** SO_BROADCAST. As in asyncio, `remoteAddr` is then only recorded as the default destination, not connected. */
  allowBroadcast?: boolean | null
  /** Gives the endpoint up while it is being opened (name resolution, bind, connect): the promise rejects with an `AbortError`. */
  signal?: AbortSignal | null
}

/** Validated endpoint options. */
export interface EndpointSpec {
  localAddr: DatagramAddress | null
  remoteAddr: DatagramAddress | null
  family: IPFamily | null
  reusePort: boolean
  allowBroadcast: boolean
  signal: AbortSignal | null
}

const KNOWN_OPTIONS = ['localAddr', 'remoteAddr', 'family', 'reusePort', 'allowBroadcast', 'signal']

function checkBoolean (value: unknown, name: string): boolean {
  if (value === undefined || value === null) return false
  if (typeof value !== 'boolean') throw invalidArgType(`${name} must be a boolean, got ${describe(value)}`)
  return value
}

/**
 * Validates `createDatagramEndpoint`'s options, including the combinations asyncio rejects:
 * no address and no family, an unknown option, and addresses (literals) of different IP
 * versions or of another version than `family`. Host names are checked once resolved.
 */
export function parseEndpointOptions (options: unknown): EndpointSpec {
  const o = validateOptions(options, 'createDatagramEndpoint()', KNOWN_OPTIONS)
  const localAddr = o.localAddr === undefined || o.localAddr === null ? null : checkAddress(o.localAddr, 'localAddr', 0)
  const remoteAddr = o.remoteAddr === undefined || o.remoteAddr === null ? null : checkAddress(o.remoteAddr, 'remoteAddr', 1)
  const family = parseFamily(o.family)
  const reusePort = checkBoolean(o.reusePort, 'reusePort')
  const allowBroadcast = checkBoolean(o.allowBroadcast, 'allowBroadcast')
  if (localAddr === null && remoteAddr === null && family === null) {
    throw missingArgs('createDatagramEndpoint needs localAddr, remoteAddr or family (asyncio: unexpected address family)')
  }
  const localFamily = localAddr === null ? null : literalFamily(localAddr[0])
  const remoteFamily = remoteAddr === null ? null : literalFamily(remoteAddr[0])
  for (const [f, name] of [[localFamily, 'localAddr'], [remoteFamily, 'remoteAddr']] as const) {
    if (f !== null && family !== null && f !== family) {
      throw invalidArgValue(`${name} is an IPv${f} address but family is IPv${family}`)
    }
  }
  if (localFamily !== null && remoteFamily !== null && localFamily !== remoteFamily) {
    throw invalidArgValue(`localAddr (IPv${localFamily}) and remoteAddr (IPv${remoteFamily}) are of different IP versions`)
  }
  return { localAddr, remoteAddr, family, reusePort, allowBroadcast, signal: validateSignal(o.signal) }
}

/** The wildcard address of an IP version (every interface). */
export function wildcard (family: IPFamily): string {
  return family === 6 ? '::' : '0.0.0.0'
}

/** A resolved address and its IP version. */
export interface ResolvedAddress {
  family: IPFamily
  addr: DatagramAddress
}

/** One way to open the endpoint: an IP version and the addresses of that version to bind and connect. */
export interface Candidate {
  family: IPFamily
  local: DatagramAddress | null
  remote: DatagramAddress | null
}

/**
 * asyncio's pairing of local and remote addresses (`create_datagram_endpoint`): per IP
 * version, in the order the versions first appear (local addresses first), the first local
 * and the first remote address of that version; versions that lack an address the caller
 * asked for are skipped. With neither address, one candidate of `spec.family`. Throws an
 * `EADDRNOTAVAIL` error when nothing pairs (asyncio: "can not get address information").
 */
export function pairAddresses (spec: EndpointSpec, locals: ResolvedAddress[], remotes: ResolvedAddress[]): Candidate[] {
  if (spec.localAddr === null && spec.remoteAddr === null) return [{ family: spec.family ?? 4, local: null, remote: null }]
  const byFamily = new Map<IPFamily, Candidate>()
  const add = (side: 'local' | 'remote', a: ResolvedAddress): void => {
    if (spec.family !== null && a.family !== spec.family) return
    let c = byFamily.get(a.family)
    if (c === undefined) byFamily.set(a.family, c = { family: a.family, local: null, remote: null })
    c[side] ??= a.addr
  }
  for (const a of locals) add('local', a)
  for (const a of remotes) add('remote', a)
  const out = [...byFamily.values()].filter((c) =>
    (spec.localAddr === null || c.local !== null) && (spec.remoteAddr === null || c.remote !== null))
  if (out.length === 0) {
    throw Object.assign(new Error('can not get address information: no IP version has both a local and a remote address'),
      { code: 'EADDRNOTAVAIL' })
  }
  return out
}
