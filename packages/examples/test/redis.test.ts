// The Redis client against a real redis-server (Debian's), started by the tests on a free port.
import { randomBytes } from 'node:crypto'
import { createConnection } from '@wireline/stream'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { ConnectionClosedError, RedisClient } from '../src/redis/client.js'
import { RedisError, type Reply } from '../src/redis/resp.js'
import { skipWithout } from './lib/io.js'
import { REDIS_SERVER, type RedisServer, startRedis } from './lib/redis.js'

const str = (r: Reply): string => (r as Buffer).toString()

describe.skipIf(skipWithout(REDIS_SERVER))('Redis client against redis-server', () => {
  let redis: RedisServer
  let client: RedisClient
  beforeAll(async () => {
    redis = await startRedis()
    client = await RedisClient.connect('127.0.0.1', redis.port)
  })
  afterAll(async () => {
    client?.close()
    await client?.closed
    await redis?.stop()
  })

  it('strings, integers, nulls and simple replies', async () => {
    expect(await client.call('PING')).toBe('PONG')
    expect(await client.call('SET', 'greeting', 'héllo wörld')).toBe('OK')
    expect(str(await client.call('GET', 'greeting'))).toBe('héllo wörld')
    expect(await client.call('APPEND', 'greeting', '!')).toBe(Buffer.byteLength('héllo wörld!'))
    expect(await client.call('GET', 'no-such-key')).toBe(null)
    expect(await client.call('INCR', 'n')).toBe(1)
    expect(await client.call('DECRBY', 'n', 43)).toBe(-42)
    expect(await client.call('MSET', 'a', '1', 'b', '2')).toBe('OK')
    expect((await client.call('MGET', 'a', 'nope', 'b') as Reply[]).map((r) => (r === null ? null : str(r)))).toEqual(['1', null, '2'])
    expect(await client.call('TYPE', 'a')).toBe('string')
  })

  it('binary-safe values from 0 bytes to 16 MiB', async () => {
    for (const size of [0, 1, 2, 255, 65_536, 1 << 20, 16 << 20]) {
      const value = randomBytes(size)
      if (size >= 2) value.write('\r\n', size >> 1, 'latin1') // the terminator inside the value
      expect(await client.call('SET', `bin:${size}`, value)).toBe('OK')
      expect(await client.call('STRLEN', `bin:${size}`)).toBe(size)
      const got = await client.call('GET', `bin:${size}`) as Buffer
      expect(Buffer.isBuffer(got)).toBe(true)
      expect(got.equals(value), `value of ${size} bytes`).toBe(true)
    }
    // binary keys too
    const key = Buffer.from([0, 255, 13, 10, 36])
    await client.call('SET', key, 'v')
    expect(str(await client.call('GET', key))).toBe('v')
  }, 30_000)

  it('error replies reject with RedisError; the connection goes on', async () => {
    await expect(client.call('NOSUCHCOMMAND', 'x')).rejects.toThrow(RedisError)
    await client.call('SET', 'wrongtype', 'x')
    const err = await client.call('LPUSH', 'wrongtype', 'y').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RedisError)
    expect((err as RedisError).code).toBe('WRONGTYPE')
    expect(await client.call('PING')).toBe('PONG')
    // an error inside an array is a value, not a rejection
    expect(await client.call('MULTI')).toBe('OK')
    expect(await client.call('INCR', 'counter')).toBe('QUEUED')
    expect(await client.call('LPUSH', 'wrongtype', 'y')).toBe('QUEUED')
    const exec = await client.call('EXEC') as Reply[]
    expect(exec[0]).toBe(1)
    expect(exec[1]).toBeInstanceOf(RedisError)
  })

  it('nested arrays, empty and null arrays', async () => {
    const script = "return {1, {2, {3, 'x', {}}, redis.status_reply('st'), redis.error_reply('boom')}, 'y', -7}"
    const r = await client.call('EVAL', script, 0) as Reply[]
    expect(r[0]).toBe(1)
    const inner = r[1] as Reply[]
    expect(inner[0]).toBe(2)
    expect(inner[1]).toEqual([3, Buffer.from('x'), []])
    expect(inner[2]).toBe('st')
    expect(inner[3]).toBeInstanceOf(RedisError)
    expect((inner[3] as RedisError).message).toBe('ERR boom') // redis-server 7 prefixes a code
    expect(str(r[2]!)).toBe('y')
    expect(r[3]).toBe(-7)
    expect(await client.call('BLPOP', 'empty-list', '0.01')).toBe(null) // *-1
    await client.call('HSET', 'h', 'f1', 'v1', 'f2', 'v2')
    expect((await client.call('HGETALL', 'h') as Reply[]).map(str)).toEqual(['f1', 'v1', 'f2', 'v2'])
  })

  it('a pipeline of 100,000 commands, honouring pauseWriting/resumeWriting', async () => {
    class Watched extends RedisClient {
      pauses = 0
      maxBuffer = 0
      onPause = (): void => {}
      override pauseWriting (): void { this.pauses++; super.pauseWriting(); this.onPause() }
    }
    const [, c] = await createConnection(() => new Watched(), '127.0.0.1', redis.port)
    onTestFinished(async () => { c.close(); await c.closed })
    const t = c.transport
    const write = t.write.bind(t)
    const writelines = t.writelines.bind(t)
    t.write = (d) => { write(d); c.maxBuffer = Math.max(c.maxBuffer, t.getWriteBufferSize()) }
    t.writelines = (d) => { writelines(d); c.maxBuffer = Math.max(c.maxBuffer, t.getWriteBufferSize()) }
    t.setWriteBufferLimits({ high: 16 * 1024 })
    // 100,000 commands of 200 bytes (20 MiB) while the server is stopped: the pipeline
    // outruns the socket for sure, and the client must stop writing until it drains
    const paused = new Promise<void>((resolve) => { c.onPause = resolve })
    redis.child.kill('SIGSTOP')
    onTestFinished(() => { redis.child.kill('SIGCONT') })
    const N = 100_000
    const item = 'i'.repeat(200)
    const replies: Array<Promise<Reply>> = []
    for (let i = 0; i < N; i++) replies.push(c.call('RPUSH', 'pipelined', item))
    expect(c.pending).toBe(N)
    await paused
    expect(c.writable).toBe(false)
    redis.child.kill('SIGCONT')
    const all = await Promise.all(replies)
    expect(all.every((r, i) => r === i + 1)).toBe(true)
    expect(c.pauses).toBeGreaterThan(0)
    expect(c.maxBuffer).toBeLessThanOrEqual(16 * 1024 + 64 * 1024 + 64) // high-water mark + one batch
    expect(c.pending).toBe(0)
  }, 30_000)

  it('a caller that awaits drain() keeps its own queue bounded too', async () => {
    const c = await RedisClient.connect('127.0.0.1', redis.port)
    onTestFinished(async () => { c.close(); await c.closed })
    c.transport.setWriteBufferLimits({ high: 8 * 1024 })
    const value = 'v'.repeat(1000)
    let maxPending = 0
    const replies: Array<Promise<Reply>> = []
    redis.child.kill('SIGSTOP') // the server reads nothing until the client is paused
    onTestFinished(() => { redis.child.kill('SIGCONT') })
    for (let i = 0; i < 20_000; i++) {
      replies.push(c.call('SET', `k${i % 100}`, value))
      if (i % 100 === 99) await Promise.resolve() // let the client write (it flushes once per tick)
      if (!c.writable) {
        maxPending = Math.max(maxPending, c.pending)
        redis.child.kill('SIGCONT')
        await c.drain()
      }
    }
    expect((await Promise.all(replies)).every((r) => r === 'OK')).toBe(true)
    expect(maxPending).toBeGreaterThan(0)
    expect(maxPending).toBeLessThan(20_000)
  })
})

describe.skipIf(skipWithout(REDIS_SERVER))('Redis client when the server goes away', () => {
  it('mid-pipeline: every pending command rejects, later ones too, nothing hangs', async () => {
    const redis = await startRedis()
    onTestFinished(() => redis.stop())
    const c = await RedisClient.connect('127.0.0.1', redis.port)
    onTestFinished(() => c.close())
    const first = Array.from({ length: 1000 }, (_, i) => c.call('SET', `k${i}`, 'v'))
    // a command that blocks this connection on the server: everything behind it waits there
    const blocked = c.call('BLPOP', 'never-pushed', 0)
    const rest = Array.from({ length: 99_000 }, (_, i) => c.call('GET', `k${i % 1000}`))
    expect(await Promise.all(first)).toEqual(Array(1000).fill('OK'))
    redis.child.kill('SIGKILL')
    const settled = await Promise.allSettled([blocked, ...rest])
    expect(settled.every((s) => s.status === 'rejected')).toBe(true)
    const reason = (settled[0] as PromiseRejectedResult).reason as Error
    expect(reason).toBeInstanceOf(ConnectionClosedError)
    await c.closed
    await expect(c.call('PING')).rejects.toBeInstanceOf(ConnectionClosedError)
    await expect(c.drain()).rejects.toBeInstanceOf(ConnectionClosedError)
  })

  it('a refused connection rejects with ECONNREFUSED', async () => {
    const redis = await startRedis()
    await redis.stop()
    await expect(RedisClient.connect('127.0.0.1', redis.port)).rejects.toMatchObject({ code: 'ECONNREFUSED' })
  })
})
