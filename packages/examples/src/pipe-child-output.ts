// asyncio's loop.connect_read_pipe(): a protocol reading a child process's output through a
// read pipe transport (the child's stdout is the pipe), with eof_received and connection_lost.
import { spawn } from 'node:child_process'
import type * as net from 'node:net'
import { Protocol, connectReadPipe, type ReadTransport } from '@wireline/stream'
import { decode, isMain, repr } from './lib/py.js'

class ReadProtocol extends Protocol {
  lines = 0

  constructor (readonly onConLost: () => void) {
    super()
  }

  override connectionMade (transport: ReadTransport): void {
    console.log(`pipe connected: ${repr(transport.isReading())}`)
  }

  override dataReceived (data: Uint8Array): void {
    for (const line of decode(data).split('\n')) {
      if (line === '') continue
      this.lines++
      console.log(`received: ${repr(line)}`)
    }
  }

  override eofReceived (): void {
    console.log('received EOF')
  }

  override connectionLost (exc: Error | null): void {
    console.log(`pipe closed: ${repr(exc)} after ${this.lines} lines`)
    this.onConLost()
  }
}

export async function main (): Promise<void> {
  const child = spawn(process.execPath, ['-e', "for (const w of ['one', 'two', 'three']) console.log(w)"],
    { stdio: ['ignore', 'pipe', 'inherit'] })
  let resolve!: () => void
  const onConLost = new Promise<void>((r) => { resolve = r })
  await connectReadPipe(() => new ReadProtocol(resolve), child.stdout as net.Socket)
  await onConLost
  await new Promise((r) => child.once('close', r))
  console.log(`child exited with ${repr(child.exitCode)}`)
}

if (isMain('pipe-child-output')) await main()
