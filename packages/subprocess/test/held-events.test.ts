// The order guarantees that do not depend on the OS, checked with a stand-in for Node's
// ChildProcess (an EventEmitter: 'exit' can be emitted at any moment) and real sockets as its
// stdout. With a real child, Node emits nothing before 'spawn', when connectionMade runs.
import { EventEmitter, once } from 'node:events'
import { describe, expect, it, onTestFinished } from 'vitest'
import { assertTrace, socketPair, withTimeout } from '@wireline/core/testing'
import { ChildProcessTransport } from '../src/child-process-transport.js'
import { T, recorder, watchExceptions } from './helpers.js'

class FakeChild extends EventEmitter {
  readonly pid = 4242
  exitCode: number | null = null
  signalCode: NodeJS.Signals | null = null
  readonly signals: unknown[] = []
  kill (signal: unknown): boolean {
    this.signals.push(signal)
    return true
  }

  exit (code: number | null, signal: NodeJS.Signals | null = null): void {
    this.exitCode = code
    this.signalCode = signal
    this.emit('exit', code, signal)
  }
}

async function stdoutPair (): Promise<[ours: import('node:net').Socket, peer: import('node:net').Socket]> {
  const [ours, peer] = await socketPair()
  onTestFinished(() => { ours.destroy(); peer.destroy() })
  return [ours, peer]
}

describe('events before connectionMade', () => {
  it('are held and replayed after it, in the order they happened', async () => {
    watchExceptions()
    const [ours] = await stdoutPair()
    const child = new FakeChild()
    const p = recorder()
    const t = new ChildProcessTransport(child as never, p, { stdin: null, stdout: ours, stderr: null })
    child.exit(0)
    ours.destroy()
    await once(ours, 'close')
    expect(p.events).toEqual([])
    expect(t.getReturncode()).toBe(0) // the state is current even while the callbacks wait
    expect(t._start()).toBe(null)
    expect(p.events).toEqual(['connectionMade', 'processExited', 'pipeConnectionLost(1)', 'connectionLost'])
    expect(child.signals).toEqual([])
  })

  it('an exit during connectionMade is delivered after it returns; the pipe then finishes the connection', async () => {
    watchExceptions()
    const [ours, peer] = await stdoutPair()
    const child = new FakeChild()
    const p = recorder({
      onConnectionMade: () => {
        child.exit(null, 'SIGTERM')
        p.events.push('(connectionMade returns)')
      },
    })
    const t = new ChildProcessTransport(child as never, p, { stdin: null, stdout: ours, stderr: null })
    t._start()
    expect(p.events).toEqual(['connectionMade', '(connectionMade returns)', 'processExited'])
    expect(t.getReturncode()).toBe(-15)
    peer.end('after the exit')
    await withTimeout(p.lost, T)
    expect(p.received(1).toString()).toBe('after the exit')
    const trace = p.events.filter((e) => !e.startsWith('('))
    expect(trace).toEqual(['connectionMade', 'processExited', 'pipeDataReceived(1)', 'pipeConnectionLost(1)', 'connectionLost'])
    assertTrace(trace, 'subprocess', { pipedFds: [1] })
  })

  it('a child that failed to start never reaches the protocol, and its pipes are released', async () => {
    const [ours] = await stdoutPair()
    const child = new FakeChild()
    const p = recorder()
    const t = new ChildProcessTransport(child as never, p, { stdin: null, stdout: ours, stderr: null })
    t._spawnFailed()
    await once(ours, 'close')
    child.emit('error', Object.assign(new Error('spawn x ENOENT'), { code: 'ENOENT' }))
    expect(p.events).toEqual([])
    expect(ours.destroyed).toBe(true)
  })
})
