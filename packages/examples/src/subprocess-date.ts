// asyncio docs, "loop.subprocess_exec() and SubprocessProtocol" (Transports and Protocols),
// ported line for line. Python ran `sys.executable -c code`; this runs `node -e code`, with
// a one-liner that prints the local time as Python's `datetime.datetime.now()` does.
// https://docs.python.org/3/library/asyncio-protocol.html#loop-subprocess-exec-and-subprocessprotocol
import { SubprocessProtocol, subprocessExec } from '@wireline/subprocess'
import { decode, isMain } from './lib/py.js'

/** What the example needs of asyncio's Future: a promise and a way to set its result. */
interface Future<T> { promise: Promise<T>, setResult: (value: T) => void }

function createFuture<T> (): Future<T> {
  let setResult!: (value: T) => void
  const promise = new Promise<T>((resolve) => { setResult = resolve })
  return { promise, setResult }
}

class DateProtocol extends SubprocessProtocol {
  output: Uint8Array[] = []
  pipeClosed = false
  exited = false

  constructor (readonly exitFuture: Future<boolean>) {
    super()
  }

  override pipeConnectionLost (_fd: number, _exc: Error | null): void {
    this.pipeClosed = true
    this.checkForExit()
  }

  override pipeDataReceived (_fd: number, data: Uint8Array): void {
    this.output.push(data)
  }

  override processExited (): void {
    this.exited = true
    // processExited() method can be called before
    // pipeConnectionLost() method: wait until both methods are
    // called.
    this.checkForExit()
  }

  checkForExit (): void {
    if (this.pipeClosed && this.exited) {
      this.exitFuture.setResult(true)
    }
  }
}

export async function getDate (): Promise<string> {
  // (asyncio gets the running loop here: wireline's functions need no loop.)

  const code = "const d = new Date(), p = (n, w = 2) => String(n).padStart(w, '0'); " +
    'console.log(`${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ' +
    '${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds() * 1000, 6)}`)'
  const exitFuture = createFuture<boolean>()

  // Create the subprocess controlled by DateProtocol;
  // redirect the standard output into a pipe.
  const [transport, protocol] = await subprocessExec(
    () => new DateProtocol(exitFuture),
    process.execPath, ['-e', code],
    { stdin: null, stderr: null })

  // Wait for the subprocess exit using the processExited()
  // method of the protocol.
  await exitFuture.promise

  // Close the stdout pipe.
  transport.close()

  // Read the output which was collected by the
  // pipeDataReceived() method of the protocol.
  const data = Buffer.concat(protocol.output)
  return decode(data).trimEnd()
}

export async function main (): Promise<void> {
  const date = await getDate()
  console.log(`Current date: ${date}`)
}

if (isMain('subprocess-date')) await main()
