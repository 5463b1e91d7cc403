import type * as net from 'node:net'
import type { AnyProtocol } from '../protocol.js'
import type { TransportOwner } from './transport-options.js'
import type { FlowState, WritePath } from './write-path.js'

/*
 * What a transport hands over to the operations that take its connection for a while
 * (sendfile) or for good (startTls): see `StreamTransport.beginSendfile()` and
 * `StreamTransport.beginUpgrade()`.
 */

/** What `beginUpgrade()` hands over to the transport that replaces this one (startTls). */
export interface UpgradeState {
  socket: net.Socket
  protocol: AnyProtocol
  owner: TransportOwner | null
  flowState: FlowState
}

/**
 * A running sendfile's access to the transport's write path. While it runs, the transport's
 * `write()` throws and `pauseWriting` / `resumeWriting` are kept from the protocol (asyncio
 * swaps in a protocol of its own); a pause the protocol saw before is finished when it ends.
 */
export interface SendfileSession {
  /** Sends one chunk through the write path; throws once the transport is closing. */
  write(chunk: Buffer): void
  /** Resolves when the buffer is at or below the low-water mark; rejects if the connection is lost. */
  drain(): Promise<void>
  /** Ends the session: `write()` works again and flow-control callbacks reach the protocol. */
  end(): void
}

/** The `SendfileSession` of a `StreamTransport`. */
export class WritePathSession implements SendfileSession {
  readonly #writer: WritePath
  readonly #closedError: () => Error | null
  readonly #lost: () => boolean
  readonly #appPaused: boolean

  /** `closedError()` is null while the transport is open, else the error to fail with. */
  constructor (writer: WritePath, closedError: () => Error | null, lost: () => boolean) {
    this.#writer = writer
    this.#closedError = closedError
    this.#lost = lost
    this.#appPaused = writer.paused
    writer.sendfileRunning = true
  }

  /** Sends one chunk through the write path; throws once the transport is closing. */
  write (chunk: Buffer): void {
    const error = this.#closedError()
    if (error !== null) throw error
    this.#writer.send(chunk)
  }

  /** Resolves when the buffer is at or below the low-water mark; rejects if the connection is lost. */
  drain (): Promise<void> {
    const error = this.#closedError()
    if (error !== null) return Promise.reject(error)
    return this.#writer.drain()
  }

  /** Ends the session: `write()` works again and flow-control callbacks reach the protocol. */
  end (): void {
    const writer = this.#writer
    writer.sendfileRunning = false
    // the protocol saw a pause before the sendfile: finish the pair now that it is over
    if (this.#appPaused && !writer.paused && !this.#lost()) {
      writer.carryOver(true, writer.getLimits())
      writer.maybeResume(writer.size())
    }
  }
}
