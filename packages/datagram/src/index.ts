/**
 * @packageDocumentation
 * `@wireline/datagram`: Python asyncio's `DatagramProtocol` for Node.js: UDP endpoints over
 * `node:dgram`, IPv4 and IPv6, with asyncio's call order, read pause and exact write flow
 * control.
 *
 * ```ts
 * import { DatagramProtocol, createDatagramEndpoint, type DatagramAddress, type DatagramTransport } from '@wireline/datagram'
 *
 * class EchoServerProtocol extends DatagramProtocol {
 *   transport!: DatagramTransport
 *   override connectionMade (transport: DatagramTransport) { this.transport = transport }
 *   override datagramReceived (data: Uint8Array, addr: DatagramAddress) { this.transport.sendto(data, addr) }
 * }
 * const [transport] = await createDatagramEndpoint(() => new EchoServerProtocol(), { localAddr: ['127.0.0.1', 9999] })
 * ```
 */
export { DatagramProtocol } from './protocol.js'
export { createDatagramEndpoint } from './endpoint.js'
export type { DatagramEndpointOptions } from './address.js'
export type {
  DatagramAddress, DatagramExtraInfo, DatagramProtocolShape, DatagramTransport,
} from './transport.js'
export { DATAGRAM_HEADER_SIZE, PAUSED_READ_MAX_BYTES, PAUSED_READ_MAX_DATAGRAMS } from './constants.js'
export {
  BaseProtocol, InvalidStateError, UnsupportedError, WirelineError, getExceptionHandler, setExceptionHandler,
} from '@wireline/core'
export type {
  BaseTransport, ExceptionContext, ExceptionHandler, ReadTransport, WriteBufferLimits, WriteData,
} from '@wireline/core'
