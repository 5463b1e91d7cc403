import { createHash } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { onTestFinished } from 'vitest'
import { RecordingSubprocessProtocol, withTimeout, watchExceptions as watchReports } from '@wireline/core/testing'
import type { SubprocessRecorderOptions } from '@wireline/core/testing'
import { subprocessExec } from '../src/index.js'
import type { SubprocessOptions, SubprocessTransport } from '../src/index.js'

/** Upper bound for any one wait in these tests. */
export const T = 15_000

/** The absolute path of `test/fixtures/<name>`. */
export function fixture (name: string): string {
  return fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))
}

export type Recorder = RecordingSubprocessProtocol<SubprocessTransport>

/** A recording subprocess protocol, typed for this package's transport. */
export function recorder (options: SubprocessRecorderOptions<SubprocessTransport> = {}): Recorder {
  return new RecordingSubprocessProtocol<SubprocessTransport>(options)
}

/**
 * Makes sure the child is gone when the test ends: closes the transport (SIGKILL if it still
 * runs) and waits for its connectionLost, so no handle outlives the test.
 */
export function cleanup (transport: SubprocessTransport, protocol: Recorder): void {
  onTestFinished(async () => {
    transport.close()
    await withTimeout(protocol.lost, T, 'connectionLost at cleanup')
  })
}

/** Runs `node test/fixtures/<name> ...args` with a recording protocol; cleaned up after the test. */
export async function runFixture (
  name: string, args: string[] = [], options?: SubprocessOptions,
  recorderOptions: SubprocessRecorderOptions<SubprocessTransport> = {},
): Promise<[SubprocessTransport, Recorder]> {
  const [transport, protocol] = await withTimeout(
    subprocessExec(() => recorder(recorderOptions), process.execPath, [fixture(name), ...args], options), T, 'subprocessExec')
  cleanup(transport, protocol)
  return [transport, protocol]
}

/** Resolves once what arrived on `fd` contains `text`. */
export async function untilText (p: Recorder, fd: number, text: string): Promise<void> {
  await withTimeout(p.until(() => p.received(fd).toString().includes(text)), T, `"${text.trim()}" on fd ${fd}`)
}

/** Reports to the exception handler during this test; any the test did not `take()` fail it. */
export function watchExceptions (): ReturnType<typeof watchReports> {
  return watchReports(onTestFinished)
}

export function sha256 (data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex')
}

/** Resolves on the next turn of the event loop, after pending I/O callbacks and nextTicks. */
export function turn (): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

/** Sends `signal` to a process we started outside wireline, ignoring one already gone. */
export function killPid (pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(pid, signal)
  } catch {
    // gone already
  }
}
