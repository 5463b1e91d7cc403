// STARTTLS, the pattern of SMTP, IMAP and PostgreSQL: talk plaintext, then upgrade the same
// connection with startTls() (asyncio's loop.start_tls()). Both sides are wireline protocols;
// each keeps its protocol across the upgrade and swaps in the transport startTls returns.
import { Protocol, ServerClosedError, createConnection, createServer, startTls, type Server, type Transport } from '@wireline/stream'
import { clientTls, serverTls } from '@wireline/core/testing'
import { decode, isMain, repr } from './lib/py.js'

class MailServerProtocol extends Protocol {
  transport!: Transport
  secure = false

  override connectionMade (transport: Transport): void {
    this.transport = transport
    transport.write('220 mail.example ESMTP ready\r\n')
  }

  override dataReceived (data: Uint8Array): void {
    const line = decode(data).trim()
    console.log(`S got ${this.secure ? '(tls)' : '(plain)'}: ${repr(line)}`)
    if (line === 'STARTTLS') {
      this.transport.write('220 go ahead\r\n')
      startTls(this.transport, this, serverTls(), { serverSide: true }).then((tls) => {
        this.transport = tls
        this.secure = true
      }, (err: unknown) => { console.log(`S upgrade failed: ${String(err)}`) })
    } else if (line === 'QUIT') {
      this.transport.write('221 bye\r\n')
      this.transport.close()
    } else {
      this.transport.write(`250 ok: ${line}\r\n`)
    }
  }
}

class MailClientProtocol extends Protocol {
  transport!: Transport
  secure = false

  constructor (readonly done: () => void) {
    super()
  }

  override connectionMade (transport: Transport): void {
    this.transport = transport
  }

  override dataReceived (data: Uint8Array): void {
    const line = decode(data).trim()
    console.log(`C got ${this.secure ? '(tls)' : '(plain)'}: ${repr(line)}`)
    if (line.startsWith('220 mail')) {
      this.transport.write('EHLO client.example\r\n')
    } else if (line.startsWith('250 ok: EHLO')) {
      this.transport.write('STARTTLS\r\n')
    } else if (line === '220 go ahead') {
      startTls(this.transport, this, clientTls(), { serverHostname: 'localhost' }).then((tls) => {
        this.transport = tls
        this.secure = true
        console.log(`C upgraded: ${repr(tls.getExtraInfo('cipher'))}`)
        tls.write('MAIL FROM:<alice@example.org>\r\n')
      }, (err: unknown) => { console.log(`C upgrade failed: ${String(err)}`) })
    } else if (line.startsWith('250 ok: MAIL')) {
      this.transport.write('QUIT\r\n')
    }
  }

  override connectionLost (_exc: Error | null): void {
    console.log('C connection closed')
    this.done()
  }
}

export async function main ({ port = 0, onServing }: { port?: number, onServing?: (server: Server) => void } = {}): Promise<void> {
  const server = await createServer(() => new MailServerProtocol(), '127.0.0.1', port)
  await using serving = server
  onServing?.(serving)
  const [, actualPort] = server.addresses()[0] as [string, number]

  let done!: () => void
  const finished = new Promise<void>((resolve) => { done = resolve })
  await createConnection(() => new MailClientProtocol(done), '127.0.0.1', actualPort)
  await finished
}

if (isMain('starttls')) {
  await main().catch((err: unknown) => { if (!(err instanceof ServerClosedError)) throw err })
}
