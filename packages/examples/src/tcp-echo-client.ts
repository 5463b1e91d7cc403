// asyncio docs, "TCP Echo Client" (Transports and Protocols), ported line for line.
// https://docs.python.org/3/library/asyncio-protocol.html#tcp-echo-client
import { Protocol, createConnection, type Transport } from '@wireline/stream'
import { decode, isMain, repr } from './lib/py.js'

class EchoClientProtocol extends Protocol {
  constructor (readonly message: string, readonly onConLost: () => void) {
    super()
  }

  override connectionMade (transport: Transport): void {
    transport.write(new TextEncoder().encode(this.message))
    console.log(`Data sent: ${repr(this.message)}`)
  }

  override dataReceived (data: Uint8Array): void {
    console.log(`Data received: ${repr(decode(data))}`)
  }

  override connectionLost (_exc: Error | null): void {
    console.log('The server closed the connection')
    this.onConLost()
  }
}

export async function main ({ port = 8888 }: { port?: number } = {}): Promise<void> {
  let resolve!: () => void
  const onConLost = new Promise<void>((r) => { resolve = r })
  const message = 'Hello World!'

  const [transport] = await createConnection(
    () => new EchoClientProtocol(message, resolve),
    '127.0.0.1', port)

  try {
    await onConLost
  } finally {
    transport.close()
  }
}

if (isMain('tcp-echo-client')) await main()
