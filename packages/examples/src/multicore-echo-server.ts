// The asyncio echo Protocol on several CPUs: one wireline server per process, all on one port.
//
//   pnpm --filter @wireline/examples multicore-echo-server [port] [--workers=N] [--reuse-port]
//
// Default: `node:cluster`. The primary forks N workers (default: one per CPU); each calls
// createServer() on the same port, the primary holds the listening socket, accepts, and hands
// each connection to a worker in turn (round-robin). With --reuse-port (Node 22.12+/23.1+):
// N independent processes that each bind the port with SO_REUSEPORT, and the kernel spreads
// the connections; no process is in the middle. Either way a worker's accepted sockets take
// the same read path as in a single process.
//
// Prints `Listening on 127.0.0.1:<port> with <N> workers (cluster | reusePort)` once every
// worker listens; on SIGTERM or SIGINT each worker closes its server and connections, prints
// `worker <i> (pid <pid>): <n> connections`, and the primary exits 0 once they all have.
import { fork, type ChildProcess } from 'node:child_process'
import cluster from 'node:cluster'
import { availableParallelism } from 'node:os'
import { Protocol, createServer, type Transport } from '@wireline/stream'
import { isMain } from './lib/py.js'

/** Tells a process it is a reusePort worker, and which one (the cluster has its own ids). */
const WORKER_ENV = 'WIRELINE_MULTICORE_WORKER'
const PORT_ENV = 'WIRELINE_MULTICORE_PORT'

class EchoProtocol extends Protocol {
  transport!: Transport
  constructor (private readonly onConnection: (transport: Transport) => void) { super() }

  override connectionMade (transport: Transport): void {
    this.transport = transport
    this.onConnection(transport)
  }

  override dataReceived (data: Uint8Array): void { this.transport.write(data) }
  override pauseWriting (): void { this.transport.pauseReading() }
  override resumeWriting (): void { this.transport.resumeReading() }
}

export interface MulticoreOptions {
  port?: number
  /** How many processes serve (default: one per CPU). */
  workers?: number
  /** Independent processes with SO_REUSEPORT instead of `node:cluster`. */
  reusePort?: boolean
  /** Called in the worker for each connection's transport (a test's probe). */
  onTransport?: (transport: Transport) => void
}

/** A message a worker sends its parent over IPC. */
type WorkerMessage = { listening: number }

/** The worker's part: serve until the parent says `stop`, then report and let the process end. */
async function serveWorker (index: number, port: number, options: MulticoreOptions): Promise<void> {
  let connections = 0
  const server = await createServer(() => new EchoProtocol((transport) => {
    connections++
    options.onTransport?.(transport)
  }), '127.0.0.1', port, options.reusePort === true ? { reusePort: true } : {})
  const [, bound] = server.addresses()[0] as [string, number]
  // the parent stops the workers; a worker ignores the terminal's Ctrl-C meant for the group
  process.on('SIGINT', () => {})
  process.on('message', (m) => {
    if (m !== 'stop') return
    server.close()
    server.closeClients()
    void server.waitClosed().then(() => {
      console.log(`worker ${index} (pid ${process.pid}): ${connections} connections`)
      process.disconnect()
    })
  })
  process.send!({ listening: bound } satisfies WorkerMessage)
}

/** Resolves with the port a worker listens on, once it says so; rejects if it exits first. */
function listening (worker: ChildProcess | ReturnType<typeof cluster.fork>): Promise<number> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null): void => reject(new Error(`a worker exited (${code}) before it listened`))
    worker.once('exit', onExit)
    worker.once('message', (m: unknown) => {
      worker.off('exit', onExit)
      resolve((m as WorkerMessage).listening)
    })
  })
}

/** The primary's part: start the workers, then stop them on SIGTERM or SIGINT. */
async function runPrimary (port: number, count: number, reusePort: boolean): Promise<void> {
  const workers: Array<ChildProcess | ReturnType<typeof cluster.fork>> = []
  let bound = port
  for (let i = 1; i <= count; i++) {
    if (reusePort) {
      // the first picks the port (port 0: a free one), the others bind the same one
      const child = fork(process.argv[1]!, process.argv.slice(2), { env: { ...process.env, [WORKER_ENV]: String(i), [PORT_ENV]: String(bound) } })
      workers.push(child)
      bound = await listening(child)
    } else {
      const worker = cluster.fork({ [WORKER_ENV]: String(i), [PORT_ENV]: String(port) })
      workers.push(worker)
      bound = await listening(worker)
    }
  }
  console.log(`Listening on 127.0.0.1:${bound} with ${count} workers (${reusePort ? 'reusePort' : 'cluster'})`)
  const exited = workers.map((w) => new Promise<void>((resolve) => w.once('exit', () => resolve())))
  const stop = (): void => { for (const w of workers) w.send('stop') }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
  await Promise.all(exited)
  process.off('SIGTERM', stop)
  process.off('SIGINT', stop)
}

/** Runs the primary, or in a worker process the worker (the same file runs in both). */
export async function main (options: MulticoreOptions = {}): Promise<void> {
  const index = process.env[WORKER_ENV]
  if (index !== undefined) return serveWorker(Number(index), Number(process.env[PORT_ENV] ?? 0), options)
  await runPrimary(options.port ?? 8888, options.workers ?? availableParallelism(), options.reusePort === true)
}

/** `[port] [--workers=N] [--reuse-port]` from the command line. */
export function parseArgs (argv: string[]): MulticoreOptions {
  const positional = argv.filter((a) => !a.startsWith('--'))
  const workers = argv.find((a) => a.startsWith('--workers='))?.slice(10)
  return {
    port: positional[0] === undefined ? 8888 : Number(positional[0]),
    workers: workers === undefined ? undefined : Number(workers),
    reusePort: argv.includes('--reuse-port'),
  }
}

if (isMain('multicore-echo-server')) await main(parseArgs(process.argv.slice(2)))
