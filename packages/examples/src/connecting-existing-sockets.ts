// asyncio docs, "Connecting Existing Sockets" (Transports and Protocols), ported line for line.
// https://docs.python.org/3/library/asyncio-protocol.html#connecting-existing-sockets
// Node has no socket.socketpair(): a connected pair of TCP sockets on loopback stands in.
import { Protocol, connectAcceptedSocket, type Transport } from '@wireline/stream'
import { socketPair } from '@wireline/core/testing'
import { decode, isMain } from './lib/py.js'

class MyProtocol extends Protocol {
  transport: Transport | null = null

  constructor (readonly onConLost: () => void) {
    super()
  }

  override connectionMade (transport: Transport): void {
    this.transport = transport
  }

  override dataReceived (data: Uint8Array): void {
    console.log('Received:', decode(data))

    // We are done: close the transport;
    // connectionLost() will be called automatically.
    this.transport!.close()
  }

  override connectionLost (_exc: Error | null): void {
    // The socket has been closed
    this.onConLost()
  }
}

export async function main (): Promise<void> {
  // Create a pair of connected sockets
  const [rsock, wsock] = await socketPair()
  let resolve!: () => void
  const onConLost = new Promise<void>((r) => { resolve = r })

  // Register the socket to wait for data.
  const [transport] = await connectAcceptedSocket(
    () => new MyProtocol(resolve), rsock)

  // Simulate the reception of data from the network.
  setImmediate(() => wsock.write(new TextEncoder().encode('abc')))

  try {
    await onConLost
  } finally {
    transport.close()
    wsock.destroy()
  }
}

if (isMain('connecting-existing-sockets')) await main()
