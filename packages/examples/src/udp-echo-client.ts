// asyncio docs, "UDP Echo Client" (Transports and Protocols), ported line for line.
// https://docs.python.org/3/library/asyncio-protocol.html#udp-echo-client
import { createDatagramEndpoint, type DatagramAddress, type DatagramTransport } from '@wireline/datagram'
import { decode, isMain } from './lib/py.js'

class EchoClientProtocol {
  transport: DatagramTransport | null

  constructor (readonly message: string, readonly onConLost: () => void) {
    this.transport = null
  }

  connectionMade (transport: DatagramTransport): void {
    this.transport = transport
    console.log('Send:', this.message)
    this.transport.sendto(new TextEncoder().encode(this.message))
  }

  datagramReceived (data: Uint8Array, _addr: DatagramAddress): void {
    console.log('Received:', decode(data))

    console.log('Close the socket')
    this.transport!.close()
  }

  errorReceived (exc: Error): void {
    console.log('Error received:', String(exc))
  }

  connectionLost (_exc: Error | null): void {
    console.log('Connection closed')
    this.onConLost()
  }
}

export async function main ({ port = 9999 }: { port?: number } = {}): Promise<void> {
  let resolve!: () => void
  const onConLost = new Promise<void>((r) => { resolve = r })
  const message = 'Hello World!'

  const [transport] = await createDatagramEndpoint(
    () => new EchoClientProtocol(message, resolve),
    { remoteAddr: ['127.0.0.1', port] })

  try {
    await onConLost
  } finally {
    transport.close()
  }
}

if (isMain('udp-echo-client')) await main()
