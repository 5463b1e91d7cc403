import { X509Certificate, createPrivateKey } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { testCerts } from './tls.js'
import { issueCertificate } from './x509.js'

describe('the test certificates are made at run time', () => {
  it('the server and client certificates are signed by the test CA, with their names and usages', () => {
    const ca = new X509Certificate(testCerts.ca)
    const server = new X509Certificate(testCerts.server.cert)
    const client = new X509Certificate(testCerts.client.cert)
    expect(ca.ca).toBe(true)
    expect(ca.subject).toBe('CN=wireline test CA')
    expect(server.ca).toBe(false)
    expect(server.checkIssued(ca) && server.verify(ca.publicKey)).toBe(true)
    expect(client.checkIssued(ca) && client.verify(ca.publicKey)).toBe(true)
    expect(server.checkHost('localhost')).toBe('localhost')
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1')
    expect(server.checkIP('::1')).toBe('::1')
    expect(server.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1'])
    expect(client.subject).toBe('CN=wireline test client')
    expect(client.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2'])
    // each key belongs to its certificate
    expect(server.checkPrivateKey(createPrivateKey(testCerts.server.key))).toBe(true)
    expect(client.checkPrivateKey(createPrivateKey(testCerts.client.key))).toBe(true)
  })

  it('the untrusted certificate is self-signed, and the set is made once per process', () => {
    const untrusted = new X509Certificate(testCerts.untrusted.cert)
    expect(untrusted.issuer).toBe(untrusted.subject)
    expect(untrusted.verify(untrusted.publicKey)).toBe(true)
    expect(untrusted.checkIssued(new X509Certificate(testCerts.ca))).toBe(false)
    expect(testCerts.server).toBe(testCerts.server)
  })

  it('validity runs from a day ago for ten years; long names and IPv6 addresses encode', () => {
    const long = 'x'.repeat(300)
    const c = new X509Certificate(issueCertificate({ commonName: long, hosts: ['fe80::1:2', '10.0.0.1', 'a.example'] }).cert)
    expect(c.subject).toBe(`CN=${long}`)
    expect(c.subjectAltName).toBe('IP Address:FE80:0:0:0:0:0:1:2, IP Address:10.0.0.1, DNS:a.example')
    const from = Date.parse(c.validFrom)
    expect(Date.now() - from).toBeGreaterThan(23 * 3600_000)
    expect(Date.parse(c.validTo) - from).toBeGreaterThan(3650 * 86_400_000 - 2000)
  })
})
