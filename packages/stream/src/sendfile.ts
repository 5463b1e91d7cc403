import * as fs from 'node:fs'
import type { Transport } from '@wireline/core'
import { StreamTransport, invalidArgType, outOfRange } from '@wireline/core/machinery'

/** Bytes read from the file at a time. At most one chunk plus the high-water mark is held. */
const SENDFILE_CHUNK = 64 * 1024

/** A file to send: a path, a file descriptor, or an open `FileHandle`. */
export type SendfileSource = string | number | fs.promises.FileHandle

function checkPosition (value: unknown, name: string, allowNull: boolean): number | null {
  if (value === undefined || (allowNull && value === null)) return null
  if (typeof value !== 'number') throw invalidArgType(`${name} must be a number, got ${value === null ? 'null' : typeof value}`)
  if (!Number.isSafeInteger(value) || value < 0) throw outOfRange(`${name} must be an integer >= 0, got ${value}`)
  return value
}

/**
 * asyncio `loop.sendfile(transport, file, offset, count)`: sends `count` bytes of `file`
 * (to its end when omitted) from `offset` through the transport's write path and flow
 * control, and resolves to the number of bytes sent. Node has no zero-copy socket sendfile,
 * so the file is read in 64 KiB chunks, the way asyncio's fallback does (it is the only way
 * over TLS in asyncio too); memory stays bounded by one chunk plus the high-water mark.
 * While it runs, `write()` on the transport throws; a closing transport rejects at once; a
 * connection lost midway (the peer closed or reset it) rejects with the connection's error
 * (Node's `code`: EPIPE, ECONNRESET, ...). The file is read at explicit offsets, so a file
 * descriptor's position is left where it was (asyncio moves it past what was sent; Node has
 * no `lseek`).
 */
export function sendfile (
  transport: Transport, file: SendfileSource, offset: number = 0, count?: number | null,
): Promise<number> {
  if (!(transport instanceof StreamTransport)) throw invalidArgType('transport must be a wireline stream transport')
  const start = checkPosition(offset, 'offset', false) ?? 0
  const limit = checkPosition(count, 'count', true)
  if (limit === 0) throw outOfRange('count must be a positive integer (got 0)')
  let source: { path: string } | { fd: number }
  if (typeof file === 'string') {
    source = { path: file }
  } else if (typeof file === 'number') {
    if (!Number.isInteger(file) || file < 0) throw outOfRange(`file descriptor must be an integer >= 0, got ${file}`)
    source = { fd: file }
  } else if (typeof file === 'object' && file !== null && typeof (file as fs.promises.FileHandle).fd === 'number') {
    source = { fd: (file as fs.promises.FileHandle).fd }
  } else {
    throw invalidArgType('file must be a path, a file descriptor or a FileHandle')
  }
  return send(transport, source, start, limit)
}

async function send (
  transport: StreamTransport, source: { path: string } | { fd: number }, start: number, limit: number | null,
): Promise<number> {
  // Synchronously (this runs before the first await): a closing transport rejects, and
  // write() throws from the moment sendfile() is called.
  const session = transport.beginSendfile()
  let handle: fs.promises.FileHandle | null = null
  let fd: number
  if ('path' in source) {
    try {
      handle = await fs.promises.open(source.path, 'r')
    } catch (err) {
      session.end()
      throw err
    }
    fd = handle.fd
  } else {
    fd = source.fd
  }
  let sent = 0
  try {
    for (;;) {
      const want = limit === null ? SENDFILE_CHUNK : Math.min(SENDFILE_CHUNK, limit - sent)
      if (want <= 0) break
      const chunk = Buffer.allocUnsafe(want)
      const n = await read(fd, chunk, start + sent)
      if (n === 0) break
      session.write(n === want ? chunk : chunk.subarray(0, n))
      sent += n
      await session.drain()
    }
  } finally {
    session.end()
    if (handle !== null) await handle.close()
  }
  return sent
}

function read (fd: number, buffer: Buffer, position: number): Promise<number> {
  return new Promise((resolve, reject) => {
    fs.read(fd, buffer, 0, buffer.length, position, (err, n) => { if (err) reject(err); else resolve(n) })
  })
}
