// The asyncio "TCP Echo Server" over TLS: the same protocol, with ssl= on create_server.
// https://docs.python.org/3/library/asyncio-eventloop.html#loop.create_server (ssl)
// The certificate is the test one of @wireline/core/testing; use your own in real life
// (ssl: { cert: readFileSync('cert.pem'), key: readFileSync('key.pem') }).
import { Protocol, createServer, type Server, type Transport } from '@wireline/stream'
import { serverTls } from '@wireline/core/testing'
import { decode, isMain, repr } from './lib/py.js'

class EchoServerProtocol extends Protocol {
  transport!: Transport

  override connectionMade (transport: Transport): void {
    const peername = transport.getExtraInfo('peername')
    console.log(`Connection from ${repr(peername)}`)
    console.log(`Cipher: ${repr(transport.getExtraInfo('cipher'))}`)
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

export async function main ({ port = 8443, onServing }: { port?: number, onServing?: (server: Server) => void } = {}): Promise<void> {
  const server = await createServer(
    () => new EchoServerProtocol(),
    '127.0.0.1', port, { ssl: serverTls() })

  await using serving = server
  onServing?.(serving)
  await server.serveForever()
}

if (isMain('tls-echo-server')) await main()
