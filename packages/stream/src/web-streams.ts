import type { StreamReader } from './stream-reader.js'
import type { StreamWriter } from './stream-writer.js'

/**
 * The Web Streams bridge (beyond asyncio): a `StreamReader` as a `ReadableStream` and a
 * `StreamWriter` as a `WritableStream`, so that `pipeThrough(new TextDecoderStream())`,
 * `CompressionStream` and `pipeTo` run over a connection. Neither stream queues data of its
 * own beyond one chunk: the reader's buffer and the transport's write buffer, with their
 * flow control, stay the only places bytes wait.
 */

/**
 * A `ReadableStream` over `reader`: each pull is one `read(chunkSize)` (empty bytes close the
 * stream, a read error errors it), made only when the consumer asks (high-water mark 0).
 * `cancel()` calls `onCancel` (the reader's owner closes the transport).
 * @internal
 */
export function readableFrom (reader: StreamReader, chunkSize: number, onCancel: () => void): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async pull (controller) {
      const chunk = await reader.read(chunkSize)
      if (chunk.length === 0) controller.close()
      else controller.enqueue(chunk)
    },
    cancel () {
      onCancel()
    },
  }, { highWaterMark: 0 })
}

/**
 * A `WritableStream` into `writer`: each chunk is `write()` then `drain()`, so the next chunk
 * waits while the transport has paused writing, and a lost connection errors the stream.
 * `close()` sends EOF (`writeEof()`: the connection stays open for reading) where the
 * transport can, and closes it otherwise (TLS); `abort()` aborts the transport.
 * @internal
 */
export function writableTo (writer: StreamWriter): WritableStream<Uint8Array> {
  return new WritableStream<Uint8Array>({
    write (chunk) {
      writer.write(chunk)
      return writer.drain()
    },
    close () {
      if (writer.canWriteEof()) writer.writeEof()
      else writer.close()
    },
    abort () {
      writer.transport.abort()
    },
  })
}
