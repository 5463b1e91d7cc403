import { describe, it } from 'vitest'
import { transportCompliance } from '../src/testing/index.js'
import { acceptedSocket, catPipe, tcpAccepted, tcpClient, unixPair, upgradedTls } from './pairs.js'

// Every byte-stream transport kind core makes runs the compliance suite, with stream and
// buffered protocols wherever the kind reads.
const runner = { describe, it }
const both: Array<'stream' | 'buffered'> = ['stream', 'buffered']
const socketInfo = ['socket', 'peername', 'sockname']
const tlsInfo = [...socketInfo, 'ssl_object', 'cipher', 'sslcontext']
const plain = { reads: true, writes: true, writeEof: 'half-close', eofAlwaysCloses: false, protocols: both } as const
const secure = { reads: true, writes: true, writeEof: 'unsupported', eofAlwaysCloses: true, protocols: both, extraInfo: tlsInfo } as const

transportCompliance(runner, { name: 'TCP client', connect: (p) => tcpClient(p), ...plain, extraInfo: socketInfo })
transportCompliance(runner, { name: 'TCP accepted by a Server', connect: (p) => tcpAccepted(p), ...plain, extraInfo: socketInfo })
transportCompliance(runner, {
  name: "TCP accepted by a Server, 'data' fallback", connect: (p) => tcpAccepted(p, { fastPath: false }), ...plain, extraInfo: socketInfo,
})
transportCompliance(runner, { name: 'connectAcceptedSocket', connect: acceptedSocket, ...plain, extraInfo: socketInfo })
transportCompliance(runner, { name: 'Unix client', connect: (p) => unixPair(p, false), ...plain, extraInfo: socketInfo })
transportCompliance(runner, { name: 'Unix accepted by a Server', connect: (p) => unixPair(p, true), ...plain, extraInfo: socketInfo })
transportCompliance(runner, { name: 'TLS client', connect: (p) => tcpClient(p, true), ...secure })
transportCompliance(runner, { name: 'TLS accepted by a Server', connect: (p) => tcpAccepted(p, { secure: true }), ...secure })
transportCompliance(runner, { name: 'TLS after startTls', connect: upgradedTls, ...secure })
transportCompliance(runner, {
  name: "read pipe (a child's stdout)", connect: (p) => catPipe(p, 'read'), reads: true, writes: false, writeEof: 'unsupported',
  eofAlwaysCloses: true, protocols: both, extraInfo: ['pipe'],
})
transportCompliance(runner, {
  name: "write pipe (a child's stdin)", connect: (p) => catPipe(p, 'write'), reads: false, writes: true, writeEof: 'closes',
  eofAlwaysCloses: false, extraInfo: ['pipe'],
})
