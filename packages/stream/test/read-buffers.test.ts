// The read side reuses memory: small reads land in one buffer all sockets share and are
// copied out; after a large read the next goes into the transport's own buffer, handed over
// whole when that read is large too. A stream Protocol may keep every chunk it gets, so none
// of this may ever change bytes already delivered. Many connections, mixed sizes, every chunk
// kept, on both accept paths and on the client side, over TCP and over TLS (where Node decrypts
// into memory of its own and, adopted, hands it over through the same onread).
import type * as tls from 'node:tls'
import { describe, expect, it } from 'vitest'
import { RecordingProtocol, clientTls, serverTls, withTimeout } from '@wireline/core/testing'
import { createConnection, createServer, type Transport } from '../src/index.js'
import { acceptPath, cleanupServer, payload, sha256, watchExceptions } from './helpers.js'

const T = 20_000

/** Sizes that alternate small and large reads (large ones follow small ones and each other). */
const SIZES = [1, 90_000, 5, 16 * 1024, 16 * 1024 + 1, 65536, 65536, 200, 3000, 70_000, 1, 1, 40_000]

/** Keeps every chunk exactly as delivered (no copy), and echoes it. */
class KeepingEcho {
  chunks: Uint8Array[] = []
  transport!: Transport
  connectionMade (t: Transport): void { this.transport = t }
  dataReceived (d: Uint8Array): void {
    this.chunks.push(d)
    this.transport.write(d)
  }

  pauseWriting (): void { this.transport.pauseReading() }
  resumeWriting (): void { this.transport.resumeReading() }
}

// Bun (see the guide's Bun section): its TLS sockets cannot be adopted, they read through 'data'
const onBun = 'Bun' in globalThis

for (const [fast, ssl] of [[true, false], [false, false], [true, true], [false, true]] as const) {
  describe(`read buffers${ssl ? ' over TLS' : ''} (${ssl ? 'TLS sockets' : 'accepted sockets'} read via ${fast ? 'onread' : "'data' events"})`, () => {
    it('chunks kept by protocols on 12 connections stay intact while more reads come in', async () => {
      acceptPath(fast)
      watchExceptions()
      const servers: KeepingEcho[] = []
      const server = cleanupServer(await createServer(() => {
        const p = new KeepingEcho()
        servers.push(p)
        return p
      }, '127.0.0.1', 0, ssl ? { ssl: serverTls() } : {}))
      const port = (server.addresses()[0] as [string, number])[1]
      const clients = await Promise.all(Array.from({ length: 12 }, async () =>
        await createConnection(() => new RecordingProtocol(), '127.0.0.1', port, ssl ? { ssl: clientTls() } : {})))
      if (ssl && !onBun) {
        // the TLS socket of each client reads through onread (adopted), or through 'data' events
        for (const [t] of clients) expect((t.getExtraInfo('ssl_object') as tls.TLSSocket).listenerCount('data')).toBe(fast ? 0 : 1)
      }
      const sent = clients.map(() => [] as Buffer[])
      // interleave the connections, one write each per turn, with sizes shifted per connection
      for (let round = 0; round < SIZES.length * 2; round++) {
        clients.forEach(([t], i) => {
          const chunk = payload(SIZES[(round + i) % SIZES.length]!)
          sent[i]!.push(chunk)
          t.write(chunk)
        })
        await new Promise((resolve) => setImmediate(resolve))
      }
      for (const [i, [t, p]] of clients.entries()) {
        const total = Buffer.concat(sent[i]!)
        await withTimeout(p.untilBytes(total.length), T)
        // what the client kept (its recorder keeps chunks as delivered) and what the server kept
        expect(sha256(p.received())).toBe(sha256(total))
        t.close()
        await withTimeout(p.lost, T)
      }
      expect(servers).toHaveLength(12)
      const serverKept = servers.map((s) => sha256(Buffer.concat(s.chunks)))
      const sentAll = sent.map((s) => sha256(Buffer.concat(s)))
      expect(serverKept.sort()).toEqual(sentAll.sort())
    })
  })
}
