// asyncio docs, "TCP Echo Server" (Transports and Protocols), ported line for line.
// https://docs.python.org/3/library/asyncio-protocol.html#tcp-echo-server
import { Protocol, createServer, type Server, type Transport } from '@wireline/stream'
import { decode, isMain, repr } from './lib/py.js'

class EchoServerProtocol extends Protocol {
  transport!: Transport

  override connectionMade (transport: Transport): void {
    const peername = transport.getExtraInfo('peername')
    console.log(`Connection from ${repr(peername)}`)
    this.transport = transport
  }

  override dataReceived (data: Uint8Array): void {
    const message = decode(data)
    console.log(`Data received: ${repr(message)}`)

    console.log(`Send: ${repr(message)}`)
    this.transport.write(data)

    console.log('Close the client socket')
    this.transport.close()
  }
}

/** `port` and `onServing` let the demo run it on a free port and stop it; python has 8888. */
export async function main ({ port = 8888, onServing }: { port?: number, onServing?: (server: Server) => void } = {}): Promise<void> {
  const server = await createServer(
    () => new EchoServerProtocol(),
    '127.0.0.1', port)

  await using serving = server
  onServing?.(serving)
  await server.serveForever()
}

if (isMain('tcp-echo-server')) await main()
