// `pnpm demo`: runs every example end to end, each under a heading, printing what the
// Python examples print. Servers listen on a free port on 127.0.0.1 and are stopped after.
import type { DatagramTransport } from '@wireline/datagram'
import type { Server } from '@wireline/stream'
import * as tcpEchoServer from './tcp-echo-server.js'
import * as tcpEchoClient from './tcp-echo-client.js'
import * as streamsEchoServer from './streams-echo-server.js'
import * as streamsEchoClient from './streams-echo-client.js'
import * as existingSockets from './connecting-existing-sockets.js'
import * as tlsEchoServer from './tls-echo-server.js'
import * as tlsEchoClient from './tls-echo-client.js'
import * as starttls from './starttls.js'
import * as pipeChildOutput from './pipe-child-output.js'
import * as bufferedBulkReceive from './buffered-bulk-receive.js'
import * as udpEchoServer from './udp-echo-server.js'
import * as udpEchoClient from './udp-echo-client.js'
import * as subprocessDate from './subprocess-date.js'

type Step = { title: string, run: () => Promise<void> }

/** Runs a server example, hands its port to `client`, then closes the server. */
async function withServer (
  serverMain: (o: { port: number, onServing: (s: Server) => void }) => Promise<void>,
  client: (port: number) => Promise<void>,
): Promise<void> {
  let server: Server | undefined
  let serving!: Promise<void>
  const s = await new Promise<Server>((resolve, reject) => {
    serving = serverMain({ port: 0, onServing: (srv) => { server = srv; resolve(srv) } })
    serving.catch(reject)
  })
  const [, port] = s.addresses()[0] as [string, number]
  try {
    await client(port)
  } finally {
    server?.close()
    await serving
  }
}

/** Runs the UDP echo server on a free port, the client against it, then stops the server. */
async function withUdpServer (client: (port: number) => Promise<void>): Promise<void> {
  const stop = new AbortController()
  let serving!: Promise<void>
  const transport = await new Promise<DatagramTransport>((resolve, reject) => {
    serving = udpEchoServer.main({ port: 0, signal: stop.signal, onServing: resolve })
    serving.catch(reject)
  })
  const [, port] = transport.getExtraInfo('sockname')!
  try {
    await client(port)
  } finally {
    stop.abort()
    await serving
  }
}

const steps: Step[] = [
  {
    title: 'TCP echo server + TCP echo client',
    run: () => withServer(tcpEchoServer.main, (port) => tcpEchoClient.main({ port })),
  },
  {
    title: 'TCP echo server + TCP echo client using streams',
    run: () => withServer(streamsEchoServer.main, (port) => streamsEchoClient.main({ port })),
  },
  {
    title: 'UDP echo server + UDP echo client',
    run: () => withUdpServer((port) => udpEchoClient.main({ port })),
  },
  { title: 'Connecting existing sockets', run: existingSockets.main },
  {
    title: 'TLS echo server + TLS echo client',
    run: () => withServer(tlsEchoServer.main, (port) => tlsEchoClient.main({ port })),
  },
  { title: 'STARTTLS upgrade', run: () => starttls.main() },
  { title: 'Reading a child process through connectReadPipe', run: pipeChildOutput.main },
  { title: 'BufferedProtocol: a large stream into one reusable buffer', run: () => bufferedBulkReceive.main() },
  { title: 'loop.subprocess_exec() and SubprocessProtocol', run: subprocessDate.main },
]

for (const step of steps) {
  console.log(`\n=== ${step.title} ===`)
  await step.run()
}
console.log('\nAll examples ran.')
