import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { isIPv4 } from 'node:net'

/*
 * A tiny X.509 v3 certificate writer (RFC 5280), enough for test TLS material: ECDSA P-256
 * keys from node:crypto, a few extensions, signed with SHA-256. Node can parse certificates
 * (`X509Certificate`) but not make them, and the testing kit must not ship a private key, so
 * the kit makes its certificates at run time with this. Test material only: never for real use.
 */

/** DER: one tag-length-value. */
function tlv (tag: number, content: Uint8Array): Buffer {
  const n = content.length
  let len: number[]
  if (n < 0x80) len = [n]
  else {
    const bytes: number[] = []
    for (let v = n; v > 0; v >>>= 8) bytes.unshift(v & 0xff)
    len = [0x80 | bytes.length, ...bytes]
  }
  return Buffer.concat([Buffer.from([tag, ...len]), content])
}

const seq = (...items: Uint8Array[]): Buffer => tlv(0x30, Buffer.concat(items))
const set = (...items: Uint8Array[]): Buffer => tlv(0x31, Buffer.concat(items))
const octets = (content: Uint8Array): Buffer => tlv(0x04, content)
const bits = (content: Uint8Array, unused = 0): Buffer => tlv(0x03, Buffer.concat([Buffer.from([unused]), content]))
const explicit = (n: number, content: Uint8Array): Buffer => tlv(0xa0 + n, content)
const TRUE = Buffer.from([0x01, 0x01, 0xff])

/** A non-negative INTEGER from big-endian bytes (a leading zero keeps it positive). */
function uint (bytes: Uint8Array): Buffer {
  let i = 0
  while (i < bytes.length - 1 && bytes[i] === 0) i++
  const b = Buffer.from(bytes.subarray(i))
  return tlv(0x02, b[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b)
}

function oid (dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number)
  const out = [40 * a! + b!]
  for (const arc of rest) {
    const chunk = [arc & 0x7f]
    for (let v = arc >>> 7; v > 0; v >>>= 7) chunk.unshift(0x80 | (v & 0x7f))
    out.push(...chunk)
  }
  return tlv(0x06, Buffer.from(out))
}

/** UTCTime up to 2049, GeneralizedTime after (RFC 5280 4.1.2.5). */
function time (date: Date): Buffer {
  const iso = date.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z'
  return date.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(iso.slice(2))) : tlv(0x18, Buffer.from(iso))
}

/** A Name with one common name. */
const name = (cn: string): Buffer => seq(set(seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from(cn, 'utf8')))))

const extension = (id: string, critical: boolean, value: Uint8Array): Buffer =>
  critical ? seq(oid(id), TRUE, octets(value)) : seq(oid(id), octets(value))

/** The four bytes of an IPv4 address or the sixteen of an IPv6 one. */
function ipBytes (ip: string): Buffer {
  if (isIPv4(ip)) return Buffer.from(ip.split('.').map(Number))
  const [head, tail = ''] = ip.split('::')
  const words = (s: string): number[] => (s === '' ? [] : s.split(':').map((w) => parseInt(w, 16)))
  const h = words(head!)
  const t = ip.includes('::') ? words(tail) : []
  const all = [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t]
  const out = Buffer.alloc(16)
  all.forEach((w, i) => out.writeUInt16BE(w, 2 * i))
  return out
}

const ECDSA_WITH_SHA256 = seq(oid('1.2.840.10045.4.3.2'))
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1'
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2'

/** What one certificate says about itself. */
export interface CertificateRequest {
  /** The subject's common name. */
  commonName: string
  /** A CA certificate (may sign others), else a leaf. */
  ca?: boolean
  /** Host names and IP addresses (subjectAltName). */
  hosts?: string[]
  /** Extended key usage of a leaf: a TLS server, a TLS client, or none said. */
  usage?: 'server' | 'client'
}

/** A certificate and its key, in PEM. */
export interface IssuedCertificate {
  cert: string
  key: string
  /** The private key, to sign other certificates with. */
  privateKey: KeyObject
  /** The subject's common name (the issuer name of what it signs). */
  commonName: string
  /** The subject key identifier (the authority key identifier of what it signs). */
  keyId: Buffer
}

const DAY = 86_400_000

/**
 * Makes a key pair and a certificate for it, signed by `issuer` (self-signed without one),
 * valid from a day ago for ten years.
 */
export function issueCertificate (req: CertificateRequest, issuer?: IssuedCertificate): IssuedCertificate {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const spki = publicKey.export({ type: 'spki', format: 'der' })
  const keyId = createHash('sha1').update(spki).digest()
  const signer = issuer ?? { privateKey, commonName: req.commonName, keyId }
  const now = Date.now()
  const serial = randomBytes(16)
  serial[0]! &= 0x7f
  const exts: Buffer[] = [
    extension('2.5.29.14', false, octets(keyId)),
    extension('2.5.29.35', false, seq(tlv(0x80, signer.keyId))),
  ]
  if (req.ca === true) {
    exts.push(extension('2.5.29.19', true, seq(TRUE)))
    exts.push(extension('2.5.29.15', true, bits(Buffer.from([0x06]), 1))) // keyCertSign, cRLSign
  } else {
    exts.push(extension('2.5.29.15', true, bits(Buffer.from([0x80]), 7))) // digitalSignature
  }
  if (req.usage !== undefined) {
    exts.push(extension('2.5.29.37', false, seq(oid(req.usage === 'server' ? SERVER_AUTH : CLIENT_AUTH))))
  }
  if (req.hosts !== undefined && req.hosts.length > 0) {
    const names = req.hosts.map((h) => (isIPv4(h) || h.includes(':') ? tlv(0x87, ipBytes(h)) : tlv(0x82, Buffer.from(h, 'ascii'))))
    exts.push(extension('2.5.29.17', false, seq(...names)))
  }
  const tbs = seq(
    explicit(0, uint(Buffer.from([2]))), // v3
    uint(serial),
    ECDSA_WITH_SHA256,
    name(signer.commonName),
    seq(time(new Date(now - DAY)), time(new Date(now + 3650 * DAY))),
    name(req.commonName),
    spki,
    explicit(3, seq(...exts)),
  )
  const signature = sign('sha256', tbs, signer.privateKey)
  const der = seq(tbs, ECDSA_WITH_SHA256, bits(signature))
  const b64 = der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '')
  return {
    cert: `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`,
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    privateKey,
    commonName: req.commonName,
    keyId,
  }
}
