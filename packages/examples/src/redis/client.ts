/**
 * A Redis client as a stream `Protocol`: commands out as RESP2 arrays, replies in through
 * `RespParser`, matched to their commands in order.
 *
 * What it teaches about transports:
 *
 * - Pipelining is the natural mode of a protocol over a transport: `call()` never waits for
 *   the previous reply. Commands issued in the same tick are written together (one `write`
 *   per 64 KiB), and each reply settles the oldest command still waiting.
 * - Write flow control: a pipeline can outrun the socket. When the transport calls
 *   `pauseWriting`, the client stops writing and keeps further commands in its own queue
 *   (encoded lazily, as they are written); `resumeWriting` writes them. The transport's
 *   buffer therefore stays within its high-water mark plus one batch, and a caller that
 *   wants its own memory bounded too awaits `drain()` while `writable` is false.
 * - Connection loss: `connectionLost` rejects every command still waiting (sent or not)
 *   with the connection's error, and every later `call()` rejects at once: nothing hangs.
 *
 * Not covered: RESP3, pub/sub and MONITOR (replies that answer no command), reconnection.
 */
import { Protocol, createConnection, type Transport } from '@wireline/stream'
import { type Arg, RedisError, type Reply, RespParser, encodeCommand } from './resp.js'

/** The connection to the server is gone (or was never there). */
export class ConnectionClosedError extends Error {
  constructor (message = 'the connection to the Redis server is closed', options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'ConnectionClosedError'
  }
}

interface Waiter { resolve: (reply: Reply) => void, reject: (err: Error) => void }

/** A FIFO without `Array.prototype.shift`'s cost on long queues. */
class Queue<T> {
  #items: Array<T | undefined> = []
  #head = 0
  get length (): number { return this.#items.length - this.#head }
  push (item: T): void { this.#items.push(item) }
  shift (): T | undefined {
    if (this.#head >= this.#items.length) return undefined
    const item = this.#items[this.#head]
    this.#items[this.#head++] = undefined
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head)
      this.#head = 0
    }
    return item
  }

  drainAll (): T[] {
    const rest = this.#items.slice(this.#head) as T[]
    this.#items = []
    this.#head = 0
    return rest
  }
}

/** How many bytes of commands go into one `write`. */
const BATCH = 64 * 1024

export class RedisClient extends Protocol {
  transport!: Transport
  readonly #parser = new RespParser((reply) => this.#onReply(reply))
  /** Commands written, or queued to be, whose reply has not come. */
  readonly #waiting = new Queue<Waiter>()
  /** Commands not written yet (while paused, or until the end of this tick). */
  readonly #unsent = new Queue<readonly Arg[]>()
  #flushScheduled = false
  #paused = false
  #drainWaiters: Array<() => void> = []
  #lost: Error | null = null
  #onLost!: () => void
  /** Resolves once the connection is gone. */
  readonly closed = new Promise<void>((resolve) => { this.#onLost = resolve })

  /** Connects to `host:port` and resolves with the client once connected. */
  static async connect (host: string, port: number): Promise<RedisClient> {
    const [, client] = await createConnection(() => new RedisClient(), host, port)
    return client
  }

  override connectionMade (transport: Transport): void {
    this.transport = transport
  }

  /**
   * Sends a command (`call('SET', 'k', value)`) and resolves with its reply; an error reply
   * rejects with `RedisError`. Bulk strings come back as `Buffer`s.
   */
  call (...args: Arg[]): Promise<Reply> {
    if (this.#lost !== null) return Promise.reject(this.#lost)
    return new Promise<Reply>((resolve, reject) => {
      this.#waiting.push({ resolve, reject })
      this.#unsent.push(args)
      if (!this.#flushScheduled && !this.#paused) {
        this.#flushScheduled = true
        queueMicrotask(() => this.#flush())
      }
    })
  }

  /** False while the transport has paused writing: more commands only queue up in memory. */
  get writable (): boolean { return !this.#paused && this.#lost === null }

  /** Resolves once writing may go on (at once unless paused); rejects if the connection is lost. */
  drain (): Promise<void> {
    if (this.#lost !== null) return Promise.reject(this.#lost)
    if (!this.#paused) return Promise.resolve()
    return new Promise((resolve, reject) => {
      this.#drainWaiters.push(() => (this.#lost === null ? resolve() : reject(this.#lost)))
    })
  }

  /** Commands sent or queued whose reply has not come yet. */
  get pending (): number { return this.#waiting.length }

  /** `QUIT`: the server answers, then closes; resolves once the connection is gone. */
  async quit (): Promise<void> {
    await this.call('QUIT').catch(() => {})
    await this.closed
  }

  /** Closes now: commands still waiting reject with `ConnectionClosedError`. */
  close (): void {
    this.transport.close()
  }

  override dataReceived (data: Uint8Array): void {
    this.#parser.feed(data as Buffer) // a protocol error throws: the transport aborts, connectionLost rejects all
  }

  override pauseWriting (): void {
    this.#paused = true
  }

  override resumeWriting (): void {
    this.#paused = false
    this.#flush()
    if (!this.#paused) {
      const waiters = this.#drainWaiters
      this.#drainWaiters = []
      for (const w of waiters) w()
    }
  }

  override connectionLost (exc: Error | null): void {
    this.#lost = exc !== null
      ? new ConnectionClosedError(`the connection to the Redis server was lost: ${exc.message}`, { cause: exc })
      : new ConnectionClosedError()
    this.#parser.close()
    this.#unsent.drainAll()
    for (const w of this.#waiting.drainAll()) w.reject(this.#lost)
    for (const w of this.#drainWaiters) w()
    this.#drainWaiters = []
    this.#onLost()
  }

  #onReply (reply: Reply): void {
    const waiter = this.#waiting.shift()
    if (waiter === undefined) throw new Error('a reply that answers no command')
    if (reply instanceof RedisError) waiter.reject(reply)
    else waiter.resolve(reply)
  }

  /** Writes queued commands, a batch per `write`, until none is left or the transport pauses. */
  #flush (): void {
    this.#flushScheduled = false
    if (this.#lost !== null || this.transport.isClosing()) return
    while (!this.#paused && this.#unsent.length > 0) {
      let text = ''
      let parts: Array<string | Uint8Array> | null = null
      let size = 0
      while (size < BATCH && this.#unsent.length > 0) {
        const encoded = encodeCommand(this.#unsent.shift()!)
        if (typeof encoded === 'string') {
          text += encoded
          size += encoded.length
        } else {
          parts ??= []
          if (text !== '') parts.push(text)
          text = ''
          for (const p of encoded) {
            parts.push(p)
            size += typeof p === 'string' ? p.length : p.byteLength
          }
        }
      }
      if (parts === null) this.transport.write(text)
      else {
        if (text !== '') parts.push(text)
        this.transport.writelines(parts)
      }
    }
  }
}
