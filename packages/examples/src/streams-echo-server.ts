// asyncio docs, "TCP echo server using streams" (Streams), ported line for line.
// https://docs.python.org/3/library/asyncio-stream.html#tcp-echo-server-using-streams
import { startServer, type Server, type StreamReader, type StreamWriter } from '@wireline/stream'
import { decode, isMain, repr } from './lib/py.js'

async function handleEcho (reader: StreamReader, writer: StreamWriter): Promise<void> {
  const data = await reader.read(100)
  const message = decode(data)
  const addr = writer.getExtraInfo('peername')

  console.log(`Received ${repr(message)} from ${repr(addr)}`)

  console.log(`Send: ${repr(message)}`)
  writer.write(data)
  await writer.drain()

  console.log('Close the connection')
  writer.close()
  await writer.waitClosed()
}

/** `port` and `onServing` let the demo run it on a free port and stop it; python has 8888. */
export async function main ({ port = 8888, onServing }: { port?: number, onServing?: (server: Server) => void } = {}): Promise<void> {
  const server = await startServer(
    handleEcho, '127.0.0.1', port)

  const addrs = server.addresses().map((addr) => repr(addr)).join(', ')
  console.log(`Serving on ${addrs}`)

  await using serving = server
  onServing?.(serving)
  await server.serveForever()
}

if (isMain('streams-echo-server')) await main()
