/** A promise with its resolve/reject exposed. Rejections are marked handled until awaited. */
export class Deferred<T> {
  readonly promise: Promise<T>
  /** Resolves `promise`. */
  resolve!: (value: T) => void
  /** Rejects `promise`. */
  reject!: (reason: unknown) => void
  settled = false

  constructor () {
    this.promise = new Promise<T>((resolve, reject) => {
      this.resolve = (v) => { this.settled = true; resolve(v) }
      this.reject = (e) => { this.settled = true; reject(e) }
    })
    this.promise.catch(() => {})
  }
}

/** Rejects with a clear error when `promise` does not settle within `ms`. */
export async function withTimeout<T> (promise: Promise<T>, ms: number, what = 'operation'): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}
