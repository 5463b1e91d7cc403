import { types } from 'node:util'
import { invalidArgType } from './args.js'

function describeType (value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'object') return `an instance of ${(value as object).constructor?.name ?? 'Object'}`
  return `type ${typeof value}`
}

/**
 * Turns what `write()` accepts into a `Buffer` without copying bytes: a `Buffer` as is, any
 * other `ArrayBufferView` or `ArrayBuffer` as a view over the same memory, a string as its
 * UTF-8 encoding. Anything else throws `TypeError` (`ERR_INVALID_ARG_TYPE`).
 */
export function toBuffer (data: unknown, what = 'data'): Buffer {
  if (data instanceof Buffer) return data
  if (typeof data === 'string') return Buffer.from(data, 'utf8')
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  if (types.isAnyArrayBuffer(data)) return Buffer.from(data)
  throw invalidArgType(`${what} must be a string, an ArrayBufferView or an ArrayBuffer, got ${describeType(data)}`)
}

/** `toBuffer` over every chunk of an iterable; validates all of them before returning. */
export function toBuffers (chunks: unknown, what = 'chunks'): Buffer[] {
  if (typeof chunks === 'string' || chunks === null || chunks === undefined ||
      typeof (chunks as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw invalidArgType(`${what} must be an iterable of bytes or strings, got ${describeType(chunks)}`)
  }
  const out: Buffer[] = []
  let i = 0
  for (const chunk of chunks as Iterable<unknown>) {
    out.push(toBuffer(chunk, `${what}[${i++}]`))
  }
  return out
}

/**
 * Checks a buffer returned by a `BufferedProtocol`'s `getBuffer()` and returns a `Uint8Array`
 * over the same memory. Throws for anything that is not writable memory, and for an empty one.
 */
export function toProtocolBuffer (buf: unknown): Uint8Array {
  if (buf instanceof Uint8Array) return buf
  if (ArrayBuffer.isView(buf)) return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)
  if (types.isAnyArrayBuffer(buf)) return new Uint8Array(buf)
  throw invalidArgType(`getBuffer() must return an ArrayBufferView or ArrayBuffer, got ${describeType(buf)}`)
}
