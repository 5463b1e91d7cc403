// The RESP2 parser on crafted bytes, cut at every possible point: what TCP may do to replies.
import { describe, expect, it } from 'vitest'
import { RedisError, type Reply, RespParser, RespProtocolError, encodeCommand } from '../src/redis/resp.js'

function parseIn (pieces: Buffer[]): Reply[] {
  const out: Reply[] = []
  const p = new RespParser((r) => out.push(r))
  for (const piece of pieces) p.feed(piece)
  return out
}

const WIRE = Buffer.concat([
  Buffer.from('+OK\r\n+hello world\r\n-ERR unknown command\r\n:0\r\n:-42\r\n:9007199254740991\r\n$0\r\n\r\n$-1\r\n*-1\r\n*0\r\n'),
  Buffer.from('$5\r\na\r\nb\x00\r\n'),
  Buffer.from('*3\r\n:1\r\n*2\r\n$1\r\nx\r\n*1\r\n-WRONGTYPE nested\r\n$-1\r\n'),
])
const EXPECTED = (): unknown[] => [
  'OK', 'hello world', new RedisError('ERR unknown command'), 0, -42, 9007199254740991, Buffer.alloc(0), null, null, [],
  Buffer.from('a\r\nb\x00'),
  [1, [Buffer.from('x'), [new RedisError('WRONGTYPE nested')]], null],
]

describe('RespParser', () => {
  it('parses every reply type, in one piece and cut at every point into two and three', () => {
    expect(parseIn([WIRE])).toEqual(EXPECTED())
    for (let i = 1; i < WIRE.length; i++) {
      expect(parseIn([WIRE.subarray(0, i), WIRE.subarray(i)])).toEqual(EXPECTED())
      const j = Math.min(WIRE.length - 1, i + 1 + (i * 13) % 17)
      if (j > i) expect(parseIn([WIRE.subarray(0, i), WIRE.subarray(i, j), WIRE.subarray(j)])).toEqual(EXPECTED())
    }
  })

  it('parses byte by byte', () => {
    expect(parseIn([...WIRE].map((b) => Buffer.from([b])))).toEqual(EXPECTED())
  })

  it('joins a large bulk string once, whatever the reads', () => {
    const value = Buffer.alloc(3 << 20, 7)
    const wire = Buffer.concat([Buffer.from(`$${value.length}\r\n`), value, Buffer.from('\r\n+after\r\n')])
    const pieces: Buffer[] = []
    for (let at = 0; at < wire.length; at += 65536) pieces.push(wire.subarray(at, at + 65536))
    const out = parseIn(pieces)
    expect(out).toHaveLength(2)
    expect((out[0] as Buffer).equals(value)).toBe(true)
    expect(out[1]).toBe('after')
  })

  it('refuses what is not RESP2, and stays dead after', () => {
    for (const bad of ['?what\r\n', ':12a\r\n', '$3\r\nabcd\r\n', '+no cr\n', '*-2\r\n', '$-5\r\n', ':\r\n']) {
      const p = new RespParser(() => {})
      expect(() => p.feed(Buffer.from(bad)), bad).toThrow(RespProtocolError)
      expect(() => p.feed(Buffer.from('+OK\r\n'))).not.toThrow()
    }
    const p = new RespParser(() => {})
    expect(() => p.feed(Buffer.alloc(70_000, 0x2b))).toThrow(/too long/) // a line that never ends
  })

  it('encodes commands as arrays of bulk strings', () => {
    expect(encodeCommand(['SET', 'k', 'é', 12])).toBe('*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\né\r\n$2\r\n12\r\n')
    const bin = Buffer.from([0, 13, 10])
    expect(Buffer.concat((encodeCommand(['SET', bin, 'x']) as Array<string | Uint8Array>).map((p) => Buffer.from(p))))
      .toEqual(Buffer.concat([Buffer.from('*3\r\n$3\r\nSET\r\n$3\r\n'), bin, Buffer.from('\r\n$1\r\nx\r\n')]))
  })
})
