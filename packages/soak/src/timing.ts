/** Resolves after `ms` milliseconds (pacing inside a run; never used to make a check pass). */
export function later (ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** `promise`, or a rejection after `ms` milliseconds (the timer is cleared either way). */
export async function bounded<T> (promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no end after ${ms} ms`)), ms) }),
    ])
  } finally {
    clearTimeout(timer)
  }
}
