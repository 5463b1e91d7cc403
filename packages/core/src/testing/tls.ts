import type * as tls from 'node:tls'
import { CA_CERT, CLIENT_CERT, CLIENT_KEY, SERVER_CERT, SERVER_KEY, UNTRUSTED_CERT, UNTRUSTED_KEY } from './tls-fixtures.js'

/**
 * TLS material made for tests (scripts/make-test-certs.sh): a test CA, a server certificate
 * for `localhost`, 127.0.0.1 and ::1 signed by it, a client certificate signed by it, and a
 * self-signed `localhost` certificate nothing trusts.
 */
export const testCerts = {
  ca: CA_CERT,
  server: { cert: SERVER_CERT, key: SERVER_KEY },
  client: { cert: CLIENT_CERT, key: CLIENT_KEY },
  untrusted: { cert: UNTRUSTED_CERT, key: UNTRUSTED_KEY },
} as const

/** Server-side TLS options with the test server certificate. */
export function serverTls (extra: tls.TlsOptions = {}): tls.TlsOptions {
  return { cert: SERVER_CERT, key: SERVER_KEY, ...extra }
}

/** Client-side TLS options that trust the test CA. */
export function clientTls (extra: tls.ConnectionOptions = {}): tls.ConnectionOptions {
  return { ca: CA_CERT, ...extra }
}
