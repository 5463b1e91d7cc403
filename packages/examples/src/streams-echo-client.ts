// asyncio docs, "TCP echo client using streams" (Streams), ported line for line.
// https://docs.python.org/3/library/asyncio-stream.html#tcp-echo-client-using-streams
import { openConnection } from '@wireline/stream'
import { decode, isMain, repr } from './lib/py.js'

async function tcpEchoClient (message: string, port: number): Promise<void> {
  const [reader, writer] = await openConnection(
    '127.0.0.1', port)

  console.log(`Send: ${repr(message)}`)
  writer.write(new TextEncoder().encode(message))
  await writer.drain()

  const data = await reader.read(100)
  console.log(`Received: ${repr(decode(data))}`)

  console.log('Close the connection')
  writer.close()
  await writer.waitClosed()
}

/** `port` lets the demo run it against a server on a free port; python has 8888. */
export async function main ({ port = 8888 }: { port?: number } = {}): Promise<void> {
  await tcpEchoClient('Hello World!', port)
}

if (isMain('streams-echo-client')) await main()
