import * as net from 'node:net'
import * as tls from 'node:tls'
import { describe, expect, it, onTestFinished } from 'vitest'
import { RecordingProtocol, assertTrace, clientTls, serverTls, withTimeout } from '@wireline/core/testing'
import { InvalidStateError, Protocol, createConnection, createServer, startTls, type Transport } from '../src/index.js'
import { cleanupServer, ended, payload, portOf, rawServer, sha256, watchExceptions } from './helpers.js'

const T = 10_000

/**
 * A STARTTLS server in the style of SMTP: plaintext lines until `STARTTLS`, then it answers
 * `220 ready`, upgrades its side, and echoes whatever comes over TLS.
 */
class StartTlsServer extends Protocol {
  transport!: Transport
  plaintext = ''
  secured: Buffer[] = []
  upgraded: Promise<Transport> | null = null
  events: string[] = []
  #lost!: () => void
  readonly lost = new Promise<void>((resolve) => { this.#lost = resolve })

  override connectionMade (t: Transport): void {
    this.events.push('connectionMade')
    this.transport = t
    t.write('220 plaintext hello\r\n')
  }

  override dataReceived (data: Uint8Array): void {
    this.events.push('dataReceived')
    if (this.upgraded !== null) {
      this.secured.push(Buffer.from(data))
      this.transport.write(data)
      return
    }
    this.plaintext += Buffer.from(data).toString('latin1')
    if (this.plaintext.endsWith('STARTTLS\r\n')) {
      this.transport.write('220 ready\r\n')
      this.upgraded = startTls(this.transport, this, serverTls(), { serverSide: true })
      this.upgraded.then((t) => { this.transport = t }, () => {})
    } else if (this.plaintext.endsWith('\r\n')) {
      this.transport.write('250 ok\r\n')
    }
  }

  override connectionLost (): void {
    this.events.push('connectionLost')
    this.#lost()
  }
}

/** The client side: EHLO, STARTTLS, then one message over TLS. */
class StartTlsClient extends RecordingProtocol {
  text = ''
  upgraded: Promise<Transport> | null = null
  constructor (readonly upgrade: (t: Transport, p: StartTlsClient) => Promise<Transport>) {
    super({
      onData: (d, t) => {
        if (this.upgraded !== null) return
        this.text += Buffer.from(d).toString('latin1')
        if (this.text === '220 plaintext hello\r\n') t.write('EHLO me\r\n')
        else if (this.text.endsWith('250 ok\r\n')) t.write('STARTTLS\r\n')
        else if (this.text.endsWith('220 ready\r\n')) this.upgraded = this.upgrade(t, this)
      },
    })
  }
}

describe('startTls', () => {
  it('upgrades both sides after a plaintext exchange; no plaintext leaks, no second connectionMade', async () => {
    watchExceptions()
    const servers: StartTlsServer[] = []
    const server = cleanupServer(await createServer(() => { const s = new StartTlsServer(); servers.push(s); return s }, '127.0.0.1', 0))
    const [old, p] = await createConnection(() => new StartTlsClient(
      (t, proto) => startTls(t, proto, clientTls(), { serverHostname: 'localhost' })), '127.0.0.1', portOf(server))
    await withTimeout(p.until(() => p.upgraded !== null), T)
    const t = await withTimeout(p.upgraded!, T)
    expect(old.isClosing()).toBe(true)
    expect(old.getExtraInfo('ssl_object')).toBe(undefined)
    expect(t.getExtraInfo('ssl_object')).toBeInstanceOf(tls.TLSSocket)
    expect((t.getExtraInfo('peercert') as tls.PeerCertificate).subject.CN).toBe('localhost')
    expect(t.getExtraInfo('peername')).toEqual(old.getExtraInfo('peername'))
    expect(t.getProtocol()).toBe(p)
    old.write('dropped: the old transport writes nothing once the upgrade began')
    const before = p.bytes
    t.write('over tls')
    await withTimeout(p.untilBytes(before + 8), T)
    expect(p.received().subarray(before).toString()).toBe('over tls')
    t.close()
    await withTimeout(p.lost, T)
    const s = servers[0]!
    await withTimeout(s.lost, T)
    expect(s.plaintext).toBe('EHLO me\r\nSTARTTLS\r\n')
    expect(Buffer.concat(s.secured).toString()).toBe('over tls')
    expect(s.events.filter((e) => e === 'connectionMade')).toHaveLength(1)
    expect(s.events.at(-1)).toBe('connectionLost')
    expect(p.count('connectionMade')).toBe(1)
    assertTrace(p.events, 'stream')
    server.close()
    await withTimeout(server.waitClosed(), T) // the server tracked the upgraded transport
  })

  it('interoperates: a wireline client upgrades against a node:tls server side, and the reverse', async () => {
    // a plain net server that upgrades with new tls.TLSSocket after 'STARTTLS' (and, as TLS
    // peers do, answers our close_notify with its own)
    const peer = await rawServer({ allowHalfOpen: false })
    const [old, p] = await createConnection(() => new RecordingProtocol(), '127.0.0.1', peer.port)
    const s = await peer.next()
    const secured = new Promise<tls.TLSSocket>((resolve) => {
      s.once('data', () => {
        s.write('go\n', () => {
          const ts = new tls.TLSSocket(s, { isServer: true, ...serverTls() })
          ts.on('error', () => {})
          ts.once('secure', () => resolve(ts))
        })
      })
    })
    old.write('STARTTLS\n')
    await withTimeout(p.untilBytes(3), T)
    const t = await withTimeout(startTls(old, p, clientTls(), { serverHostname: 'localhost' }), T)
    const ts = await withTimeout(secured, T)
    ts.write('node says hi')
    await withTimeout(p.untilBytes(3 + 12), T)
    expect(p.received().toString()).toBe('go\nnode says hi')
    t.close()
    await withTimeout(p.lost, T)

    // a plain node client upgrading with tls.connect({ socket }) against a wireline server side
    const servers: StartTlsServer[] = []
    const server = cleanupServer(await createServer(() => { const x = new StartTlsServer(); servers.push(x); return x }, '127.0.0.1', 0))
    const raw = net.connect({ port: portOf(server), host: '127.0.0.1' })
    raw.on('error', () => {})
    onTestFinished(() => { raw.destroy() })
    let text = ''
    const ready = new Promise<void>((resolve) => {
      raw.on('data', (c: Buffer) => {
        text += c.toString()
        if (text === '220 plaintext hello\r\n') raw.write('EHLO node\r\n')
        else if (text.endsWith('250 ok\r\n')) raw.write('STARTTLS\r\n')
        else if (text.endsWith('220 ready\r\n')) { raw.removeAllListeners('data'); resolve() }
      })
    })
    await withTimeout(ready, T)
    const client = tls.connect({ socket: raw, servername: 'localhost', ...clientTls() })
    client.on('error', () => {})
    await withTimeout(new Promise((resolve) => client.once('secureConnect', resolve)), T)
    const echoed = new Promise<string>((resolve) => client.once('data', (c: Buffer) => resolve(c.toString())))
    client.write('upgraded by node')
    expect(await withTimeout(echoed, T)).toBe('upgraded by node')
    client.destroy()
  })

  it('a transport paused for writing upgrades, keeps the protocol paused, then resumes it once (no assertion)', async () => {
    watchExceptions()
    const big = payload(8 * 1024 * 1024)
    const serverSide: RecordingProtocol[] = []
    const upgraded: Array<Promise<Transport>> = []
    const server = cleanupServer(await createServer(() => {
      const sp = new RecordingProtocol({
        onConnectionMade: (t) => {
          t.write(big)
          t.write('END\n')
          // paused now (8 MiB cannot go out at once); upgrade while paused
          const up = startTls(t, sp, serverTls(), { serverSide: true })
          up.then((nt) => { sp.transport = nt }, () => {}) // the protocol's job, as in asyncio
          upgraded.push(up)
        },
        onData: (d, t) => t.write(d),
      })
      serverSide.push(sp)
      return sp
    }, '127.0.0.1', 0))
    let newTransport: Promise<Transport> | null = null
    const [, p] = await createConnection(() => new RecordingProtocol({
      onData: (_d, t) => {
        if (newTransport === null && p.bytes === big.length + 4) newTransport = startTls(t, p, clientTls())
      },
    }), '127.0.0.1', portOf(server))
    await withTimeout(p.untilBytes(big.length + 4), T)
    expect(sha256(p.received().subarray(0, big.length))).toBe(sha256(big))
    const t = await withTimeout(newTransport!, T)
    const st = await withTimeout(upgraded[0]!, T)
    const sp = serverSide[0]!
    await withTimeout(sp.until(() => sp.count('resumeWriting') === 1), T)
    expect(sp.trace()).toEqual(['connectionMade', 'pauseWriting', 'resumeWriting'])
    expect(st.getWriteBufferSize()).toBe(0)
    t.write('after')
    await withTimeout(p.untilBytes(big.length + 4 + 5), T)
    expect(p.received().subarray(big.length + 4).toString()).toBe('after')
    t.close()
    await withTimeout(sp.lost, T)
    assertTrace(sp.events, 'stream')
    expect(sp.count('pauseWriting')).toBe(sp.count('resumeWriting'))
  })

  it('a failed handshake rejects, closes the connection, and ends the protocol with connectionLost(thatError)', async () => {
    const peer = await rawServer()
    const [old, p] = await createConnection(() => new RecordingProtocol(), '127.0.0.1', peer.port)
    const s = await peer.next()
    const upgrading = startTls(old, p, clientTls(), { serverHostname: 'localhost', sslHandshakeTimeout: 5000 })
    s.once('data', () => { s.write('this is not TLS at all\r\n\r\n') })
    const err = await withTimeout(upgrading.catch((e: unknown) => e), T)
    expect(err).toBeInstanceOf(Error)
    await withTimeout(ended(s), T)
    expect(await withTimeout(p.lost, T)).toBe(err)
    expect(p.trace()).toEqual(['connectionMade', 'connectionLost'])
  })

  it('validates its arguments', async () => {
    const peer = await rawServer()
    const [t, p] = await createConnection(() => new RecordingProtocol(), '127.0.0.1', peer.port)
    expect(() => startTls({} as never, p, clientTls())).toThrow(TypeError)
    expect(() => startTls(t, null as never, clientTls())).toThrow(TypeError)
    expect(() => startTls(t, p, true, { serverSide: true })).toThrow(TypeError)
    expect(() => startTls(t, p, clientTls(), { sslHandshakeTimeout: -1 })).toThrow(RangeError)
    expect(t.isClosing()).toBe(false) // nothing began
    t.close()
    await expect(startTls(t, p, clientTls())).rejects.toBeInstanceOf(InvalidStateError)
    await withTimeout(p.lost, T)
  })
})
