/**
 * The protocols of the child's pipe transports (asyncio `base_subprocess.py`'s
 * `WriteSubprocessPipeProto` and `ReadSubprocessPipeProto`). Each pipe is one of core's pipe
 * transports; its protocol is one of these adapters, which forward to the subprocess
 * transport. They never throw into the pipe transport: a throwing SubprocessProtocol callback
 * is fatal for the whole subprocess transport, so the owner catches it and takes its own
 * fatal path (once), instead of letting core treat it as the pipe's own fatal error.
 */

/** What the adapters forward to: the subprocess transport. */
export interface PipeOwner {
  /** @internal */ _pipeDataReceived(fd: number, data: Uint8Array): void
  /** @internal */ _pipeConnectionLost(fd: number, exc: Error | null): void
  /** @internal */ _pauseWriting(): void
  /** @internal */ _resumeWriting(): void
}

/** The protocol of the child's stdin pipe: flow control and the pipe's end go to the owner. */
export class WriteSubprocessPipeProto {
  readonly #owner: PipeOwner
  readonly fd = 0

  constructor (owner: PipeOwner) {
    this.#owner = owner
  }

  connectionMade (): void {}
  pauseWriting (): void { this.#owner._pauseWriting() }
  resumeWriting (): void { this.#owner._resumeWriting() }
  connectionLost (exc: Error | null): void { this.#owner._pipeConnectionLost(this.fd, exc) }
}

/** The protocol of the child's stdout or stderr pipe: data and the pipe's end go to the owner. */
export class ReadSubprocessPipeProto {
  readonly #owner: PipeOwner
  readonly fd: number

  constructor (owner: PipeOwner, fd: number) {
    this.#owner = owner
    this.fd = fd
  }

  connectionMade (): void {}
  dataReceived (data: Uint8Array): void { this.#owner._pipeDataReceived(this.fd, data) }
  /** A read pipe closes at EOF whatever this returns; `pipeConnectionLost(fd, null)` follows. */
  eofReceived (): void {}
  connectionLost (exc: Error | null): void { this.#owner._pipeConnectionLost(this.fd, exc) }
}
