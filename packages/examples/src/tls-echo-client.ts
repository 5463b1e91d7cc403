// The asyncio "TCP Echo Client" over TLS: the same protocol, with ssl= and server_hostname=
// on create_connection. The client trusts the test CA of @wireline/core/testing; with
// ssl: true it would use Node's default trust store instead.
import { Protocol, createConnection, type Transport } from '@wireline/stream'
import { clientTls } from '@wireline/core/testing'
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

export async function main ({ port = 8443 }: { port?: number } = {}): Promise<void> {
  let resolve!: () => void
  const onConLost = new Promise<void>((r) => { resolve = r })
  const message = 'Hello over TLS!'

  const [transport] = await createConnection(
    () => new EchoClientProtocol(message, resolve),
    '127.0.0.1', port, { ssl: clientTls(), serverHostname: 'localhost' })

  try {
    await onConLost
  } finally {
    transport.close()
  }
}

if (isMain('tls-echo-client')) await main()
