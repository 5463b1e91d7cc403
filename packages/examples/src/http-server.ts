// An HTTP/1.1 server on a stream Protocol (see http/server.ts and the README's recipe):
//
//   pnpm --filter @wireline/examples http-server [port] [host]
//
// Prints `Listening on http://<host>:<port>/` (port 0: a free one), serves `GET /` and
// `POST /echo` until SIGTERM or SIGINT, then closes every connection and exits 0.
import type { Server } from '@wireline/stream'
import { createHttpServer } from './http/server.js'
import { helloEcho } from './http/routes.js'
import { isMain } from './lib/py.js'

export async function main ({ port = 8080, host = '127.0.0.1', onServing }:
{ port?: number, host?: string, onServing?: (server: Server) => void } = {}): Promise<void> {
  const server = await createHttpServer(helloEcho, host, port)
  const [addr, boundPort] = server.addresses()[0] as [string, number]
  console.log(`Listening on http://${addr.includes(':') ? `[${addr}]` : addr}:${boundPort}/`)
  onServing?.(server)
  const stop = (): void => {
    server.close()
    server.closeClients() // keep-alive connections end once their responses are flushed
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
  try {
    await server.waitClosed()
  } finally {
    process.off('SIGTERM', stop)
    process.off('SIGINT', stop)
  }
}

if (isMain('http-server')) {
  const port = process.argv[2] === undefined ? 8080 : Number(process.argv[2])
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`usage: http-server [port] [host]: bad port ${process.argv[2]}`)
    process.exit(2)
  }
  await main({ port, host: process.argv[3] })
}
