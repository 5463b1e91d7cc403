// asyncio's BufferedProtocol: a client that receives a large stream into one reusable
// buffer (no allocation per chunk), and checks what it got.
// https://docs.python.org/3/library/asyncio-protocol.html#buffered-streaming-protocols
import { createHash } from 'node:crypto'
import * as net from 'node:net'
import { BufferedProtocol, createConnection, type Transport } from '@wireline/buffered'
import { isMain, repr } from './lib/py.js'

class ReceiveIntoOneBuffer extends BufferedProtocol {
  readonly buffer = new Uint8Array(256 * 1024)
  readonly hash = createHash('sha256')
  received = 0
  updates = 0

  constructor (readonly onConLost: () => void) {
    super()
  }

  override connectionMade (transport: Transport): void {
    console.log(`connected to ${repr(transport.getExtraInfo('peername'))}`)
  }

  override getBuffer (_sizeHint: number): Uint8Array {
    return this.buffer // the same memory every time: Node reads straight into it
  }

  override bufferUpdated (nbytes: number): void {
    this.hash.update(this.buffer.subarray(0, nbytes))
    this.received += nbytes
    this.updates++
  }

  override eofReceived (): void {
    console.log(`received ${this.received} bytes in ${this.updates} reads into one ${this.buffer.length / 1024} KiB buffer`)
  }

  override connectionLost (_exc: Error | null): void {
    this.onConLost()
  }
}

export async function main ({ size = 64 * 1024 * 1024 }: { size?: number } = {}): Promise<void> {
  // A plain Node server that streams `size` bytes of a pattern, then closes.
  const block = Buffer.alloc(1024 * 1024)
  for (let i = 0; i < block.length; i++) block[i] = i % 251
  const expected = createHash('sha256')
  for (let sent = 0; sent < size; sent += block.length) expected.update(block.subarray(0, Math.min(block.length, size - sent)))
  const server = net.createServer((socket) => {
    let sent = 0
    const pump = (): void => {
      while (sent < size) {
        const chunk = block.subarray(0, Math.min(block.length, size - sent))
        sent += chunk.length
        if (!socket.write(chunk)) return void socket.once('drain', pump)
      }
      socket.end()
    }
    pump()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo

  let resolve!: () => void
  const onConLost = new Promise<void>((r) => { resolve = r })
  const [transport, protocol] = await createConnection(() => new ReceiveIntoOneBuffer(resolve), '127.0.0.1', port)
  try {
    await onConLost
  } finally {
    transport.close()
    server.close()
  }
  const ok = protocol.hash.digest('hex') === expected.digest('hex')
  console.log(`checksum ${ok ? 'matches' : 'DIFFERS'}`)
}

if (isMain('buffered-bulk-receive')) await main()
