import type * as tls from 'node:tls'
import { issueCertificate } from './x509.js'

/** A certificate and its private key, in PEM. */
export interface TestKeyPair {
  /** The certificate, PEM. */
  readonly cert: string
  /** Its private key, PEM (PKCS #8). */
  readonly key: string
}

/** The TLS material of `testCerts`. */
export interface TestCerts {
  /** The test CA's certificate (PEM): trust it to accept `server` and `client`. */
  readonly ca: string
  /** A server certificate for `localhost`, 127.0.0.1 and ::1, signed by the test CA. */
  readonly server: TestKeyPair
  /** A client certificate (common name `wireline test client`), signed by the test CA. */
  readonly client: TestKeyPair
  /** A self-signed `localhost` certificate that nothing trusts. */
  readonly untrusted: TestKeyPair
}

let made: TestCerts | null = null

function make (): TestCerts {
  if (made !== null) return made
  const ca = issueCertificate({ commonName: 'wireline test CA', ca: true })
  const pair = (c: { cert: string, key: string }): TestKeyPair => ({ cert: c.cert, key: c.key })
  made = {
    ca: ca.cert,
    server: pair(issueCertificate({ commonName: 'localhost', hosts: ['localhost', '127.0.0.1', '::1'], usage: 'server' }, ca)),
    client: pair(issueCertificate({ commonName: 'wireline test client', usage: 'client' }, ca)),
    untrusted: pair(issueCertificate({ commonName: 'localhost', hosts: ['localhost', '127.0.0.1'], usage: 'server' })),
  }
  return made
}

/**
 * TLS material for tests, made at run time on first use (ECDSA P-256 keys, valid ten years,
 * the same for the whole process): a test CA, a server certificate for `localhost`,
 * 127.0.0.1 and ::1 signed by it, a client certificate signed by it, and a self-signed
 * `localhost` certificate nothing trusts. No private key ships in the package.
 */
export const testCerts: TestCerts = {
  get ca () { return make().ca },
  get server () { return make().server },
  get client () { return make().client },
  get untrusted () { return make().untrusted },
}

/** Server-side TLS options with the test server certificate. */
export function serverTls (extra: tls.TlsOptions = {}): tls.TlsOptions {
  return { cert: testCerts.server.cert, key: testCerts.server.key, ...extra }
}

/** Client-side TLS options that trust the test CA. */
export function clientTls (extra: tls.ConnectionOptions = {}): tls.ConnectionOptions {
  return { ca: testCerts.ca, ...extra }
}
