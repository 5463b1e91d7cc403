import { spawn } from 'node:child_process'
import type * as net from 'node:net'
import { describe, it } from 'vitest'
import { streamPeer, transportCompliance } from '@wireline/core/testing'
import type { CompliancePair } from '@wireline/core/testing'
import { connectReadPipe, connectWritePipe } from '../src/index.js'
import type { StreamProtocol, Transport } from '../src/index.js'

// The pipe entry points of this package run the transport compliance suite (core runs it for
// TCP, Unix, TLS and the pipe kinds themselves): a `cat` child in the middle, the peer on its
// other end.
async function catPipe (protocol: StreamProtocol, direction: 'read' | 'write'): Promise<CompliancePair> {
  const child = spawn('cat', [], { stdio: ['pipe', 'pipe', 'inherit'] })
  await new Promise<void>((resolve, reject) => { child.once('spawn', resolve); child.once('error', reject) })
  const stdin = child.stdin as net.Socket
  const stdout = child.stdout as net.Socket
  const [transport] = direction === 'read'
    ? await connectReadPipe(() => protocol, stdout)
    : await connectWritePipe(() => protocol, stdin)
  const peer = direction === 'write' ? streamPeer(stdout, null) : streamPeer(null, stdin)
  const exited = new Promise<void>((resolve) => { if (child.exitCode !== null) resolve(); else child.once('exit', () => resolve()) })
  return {
    transport: transport as Transport,
    peer: { ...peer, destroy: () => { peer.destroy(); child.kill('SIGKILL') } },
    cleanup: () => exited,
  }
}

const runner = { describe, it }
transportCompliance(runner, {
  name: 'connectReadPipe', connect: (p) => catPipe(p, 'read'), reads: true, writes: false, writeEof: 'unsupported',
  eofAlwaysCloses: true, extraInfo: ['pipe'],
})
transportCompliance(runner, {
  name: 'connectWritePipe', connect: (p) => catPipe(p, 'write'), reads: false, writes: true, writeEof: 'closes',
  eofAlwaysCloses: false, extraInfo: ['pipe'],
})
