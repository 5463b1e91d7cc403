import * as fs from 'node:fs'
import * as net from 'node:net'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { BaseProtocol } from '../src/index.js'
import {
  connectAcceptedSocket, createConnection, createServer, createUnixConnection, createUnixServer, startTls,
} from '../src/machinery/index.js'
import { socketPair, tempDir } from '../src/testing/index.js'

// Issue 12, item 3: bad input is a typed error at the call (before any promise, before any
// I/O), never a late ENOTFOUND/ENOENT rejection, never silent.

class Echo extends BaseProtocol {}
const f = (): Echo => new Echo()

type Call = () => unknown
function throwsAtCall (call: Call, type: typeof TypeError | typeof RangeError | null, code: string, message?: RegExp): void {
  let thrown: unknown = null
  try {
    const result = call()
    // Whatever came back must not be a promise that would have carried the error later.
    if (result instanceof Promise) result.catch(() => {})
  } catch (err) {
    thrown = err
  }
  expect(thrown, 'thrown at the call').not.toBeNull()
  if (type !== null) expect(thrown).toBeInstanceOf(type)
  expect(thrown).toMatchObject({ code })
  if (message !== undefined) expect((thrown as Error).message).toMatch(message)
}

const dirs: Array<() => void> = []
afterEach(() => { for (const d of dirs.splice(0)) d() })

describe('a class passed where a factory is expected', () => {
  it.each([
    ['createConnection', () => createConnection(Echo as never, '127.0.0.1', 1)],
    ['createServer', () => createServer(Echo as never, '127.0.0.1', 0)],
    ['createUnixConnection', () => createUnixConnection(Echo as never, '/tmp/x.sock')],
    ['createUnixServer', () => createUnixServer(Echo as never, '/tmp/x.sock')],
  ])('%s throws a TypeError that says to pass () => new Echo()', (_name, call) => {
    throwsAtCall(call, TypeError, 'ERR_INVALID_ARG_TYPE', /got the class Echo: pass \(\) => new Echo\(\)/)
  })

  it('a plain function and an arrow function are factories', async () => {
    await using server = await createServer(function make () { return new Echo() }, '127.0.0.1', 0)
    expect(server.isServing()).toBe(true)
  })
})

describe('null bytes', () => {
  it.each([
    ['createConnection host', () => createConnection(f, 'local\0host', 80)],
    ['createConnection localAddr host', () => createConnection(f, '127.0.0.1', 80, { localAddr: ['127.0.0.1\0', 0] })],
    ['createServer host', () => createServer(f, 'local\0host', 0)],
    ['createServer host in an array', () => createServer(f, ['127.0.0.1', 'a\0b'], 0)],
    ['createUnixConnection path', () => createUnixConnection(f, '/tmp/a\0b.sock')],
    ['createUnixServer path', () => createUnixServer(f, '/tmp/a\0b.sock')],
  ])('in the %s throw TypeError at the call', (_name, call) => {
    throwsAtCall(call, TypeError, 'ERR_INVALID_ARG_VALUE', /null bytes/)
  })

  it.runIf(process.platform === 'linux')('a leading one names an abstract socket (Linux), which works', async () => {
    const name = `\0wireline-abstract-${process.pid}-${Date.now()}`
    await using server = await createUnixServer(f, name)
    expect(server.addresses()).toEqual([name])
  })
})

describe('a Unix socket path longer than sun_path', () => {
  const max = process.platform === 'linux' ? 107 : 103

  it('throws at the call, and nothing is bound under a truncated name', () => {
    const tmp = tempDir()
    dirs.push(tmp.cleanup)
    const path = join(tmp.path, 'x'.repeat(max + 1 - tmp.path.length - 1))
    expect(Buffer.byteLength(path)).toBe(max + 1)
    throwsAtCall(() => createUnixServer(f, path), TypeError, 'ERR_INVALID_ARG_VALUE', new RegExp(`${max + 1} bytes .* at most ${max}`))
    throwsAtCall(() => createUnixConnection(f, path), TypeError, 'ERR_INVALID_ARG_VALUE', /sun_path/)
    expect(fs.readdirSync(tmp.path)).toEqual([])
  })

  it('a path of exactly the limit works', async () => {
    const tmp = tempDir()
    dirs.push(tmp.cleanup)
    const path = join(tmp.path, 'y'.repeat(max - tmp.path.length - 1))
    expect(Buffer.byteLength(path)).toBe(max)
    await using server = await createUnixServer(f, path)
    expect(server.addresses()).toEqual([path])
    expect(fs.existsSync(path)).toBe(true)
  })

  it('counts bytes, not characters', () => {
    const tmp = tempDir()
    dirs.push(tmp.cleanup)
    const chars = Math.ceil((max + 1 - tmp.path.length - 1) / 2)
    const path = join(tmp.path, 'é'.repeat(chars)) // 2 bytes each in UTF-8
    expect(path.length).toBeLessThanOrEqual(max)
    throwsAtCall(() => createUnixServer(f, path), TypeError, 'ERR_INVALID_ARG_VALUE', /sun_path/)
  })
})

describe('connectAcceptedSocket with a socket that is not open', () => {
  it('a destroyed socket: InvalidStateError', async () => {
    const [a, b] = await socketPair()
    a.destroy()
    b.destroy()
    throwsAtCall(() => connectAcceptedSocket(f, a), null, 'WL_ERR_INVALID_STATE', /closed/)
  })

  it('a still-connecting socket: InvalidStateError (it stays untouched)', async () => {
    const listener = net.createServer()
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve))
    const { port } = listener.address() as net.AddressInfo
    const socket = net.connect(port, '127.0.0.1')
    try {
      throwsAtCall(() => connectAcceptedSocket(f, socket), null, 'WL_ERR_INVALID_STATE', /connecting/)
      expect(socket.destroyed).toBe(false)
    } finally {
      socket.destroy()
      await new Promise((resolve) => listener.close(resolve))
    }
  })

  it('a socket never connected: InvalidStateError; not a socket: TypeError', () => {
    throwsAtCall(() => connectAcceptedSocket(f, new net.Socket()), null, 'WL_ERR_INVALID_STATE')
    throwsAtCall(() => connectAcceptedSocket(f, {} as never), TypeError, 'ERR_INVALID_ARG_TYPE')
  })
})

describe('unknown option names', () => {
  it.each([
    ['createConnection', () => createConnection(f, '127.0.0.1', 80, { happy_eyeballs_delay: 250 } as never), 'happy_eyeballs_delay'],
    ['createServer', () => createServer(f, '127.0.0.1', 0, { reuse_port: true } as never), 'reuse_port'],
    ['createUnixConnection', () => createUnixConnection(f, '/tmp/x.sock', { localAddr: ['a', 0] } as never), 'localAddr'],
    ['createUnixServer', () => createUnixServer(f, '/tmp/x.sock', { reusePort: true } as never), 'reusePort'],
  ])('%s throws TypeError naming the option', (name, call, option) => {
    throwsAtCall(call, TypeError, 'ERR_INVALID_ARG_VALUE', new RegExp(`^${name}\\(\\): unknown option '${option}'`))
  })

  it('connectAcceptedSocket and startTls too', async () => {
    const [a, b] = await socketPair()
    try {
      throwsAtCall(() => connectAcceptedSocket(f, a, { serverHostname: 'x' } as never), TypeError, 'ERR_INVALID_ARG_VALUE', /unknown option 'serverHostname'/)
      const [transport, protocol] = await connectAcceptedSocket(f, a)
      throwsAtCall(() => startTls(transport, protocol, true, { server_side: true } as never), TypeError, 'ERR_INVALID_ARG_VALUE', /startTls\(\): unknown option 'server_side'/)
      transport.abort()
    } finally {
      a.destroy()
      b.destroy()
    }
  })

  it('an inherited name counts, an array is not an options object', () => {
    const options = Object.create({ backlog: 10, reuse_port: true }) as object
    throwsAtCall(() => createServer(f, '127.0.0.1', 0, options as never), TypeError, 'ERR_INVALID_ARG_VALUE', /reuse_port/)
    throwsAtCall(() => createServer(f, '127.0.0.1', 0, [] as never), TypeError, 'ERR_INVALID_ARG_TYPE', /an array/)
  })
})
