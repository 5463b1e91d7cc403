// asyncio docs, "UDP Echo Server" (Transports and Protocols), ported line for line.
// https://docs.python.org/3/library/asyncio-protocol.html#udp-echo-server
import { setTimeout as sleep } from 'node:timers/promises'
import { createDatagramEndpoint, type DatagramAddress, type DatagramTransport } from '@wireline/datagram'
import { decode, isMain, repr } from './lib/py.js'

class EchoServerProtocol {
  transport!: DatagramTransport

  connectionMade (transport: DatagramTransport): void {
    this.transport = transport
  }

  datagramReceived (data: Uint8Array, addr: DatagramAddress): void {
    const message = decode(data)
    console.log(`Received ${repr(message)} from ${repr(addr)}`)
    console.log(`Send ${repr(message)} to ${repr(addr)}`)
    this.transport.sendto(data, addr)
  }
}

/**
 * `port`, `onServing` and `signal` let the demo run it on a free port and stop it before the
 * hour is up (aborting `signal` ends the sleep, as cancelling it would in Python); python has 9999.
 */
export async function main (
  { port = 9999, onServing, signal }: { port?: number, onServing?: (transport: DatagramTransport) => void, signal?: AbortSignal } = {},
): Promise<void> {
  console.log('Starting UDP server')

  // One protocol instance will be created to serve all
  // client requests.
  const [transport] = await createDatagramEndpoint(
    () => new EchoServerProtocol(),
    { localAddr: ['127.0.0.1', port] })
  onServing?.(transport)

  try {
    await sleep(3600 * 1000, undefined, { signal }) // Serve for 1 hour.
  } catch (err) {
    if (signal?.aborted !== true) throw err
  } finally {
    transport.close()
  }
}

if (isMain('udp-echo-server')) await main()
