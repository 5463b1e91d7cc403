import { createRequire } from 'node:module'
import type * as Dns from 'node:dns'
import type * as Tls from 'node:tls'

/*
 * Node built-ins that only some transports need, loaded on first use, so that a family that
 * never touches them does not load them (`@wireline/datagram` loads no `node:tls`).
 */

const require = createRequire(import.meta.url)
let tlsModule: typeof Tls | null = null
let dnsModule: typeof Dns | null = null

/** `node:tls`, loaded the first time a TLS transport, server or handshake needs it. */
export function tls (): typeof Tls {
  tlsModule ??= require('node:tls') as typeof Tls
  return tlsModule
}

/** `node:dns`, loaded the first time a host name has to be resolved. */
export function dns (): typeof Dns {
  dnsModule ??= require('node:dns') as typeof Dns
  return dnsModule
}
