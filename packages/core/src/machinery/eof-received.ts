import { asError } from './args.js'
import type { ReadHost, ReadingProtocol } from './read-path.js'

/**
 * The peer's EOF reached a stream transport whose protocol may hear it (asyncio
 * `_SelectorSocketTransport._read_ready__on_eof`): `eofReceived()` is called, and the
 * transport closes unless it returned true; a kind that closes at EOF regardless (TLS) closes
 * anyway, with a warning that true has no effect. A throwing `eofReceived` is fatal.
 */
export function deliverEof (host: ReadHost): void {
  let keepOpen: boolean | void
  try {
    keepOpen = (host.getProtocol() as ReadingProtocol | null)?.eofReceived?.()
  } catch (err) {
    host.fatal(asError(err), 'eofReceived')
    return
  }
  const kind = host.kind
  if (keepOpen && kind.eofAlwaysCloses && kind.eofKeepOpenWarning !== undefined) {
    process.emitWarning(kind.eofKeepOpenWarning, { code: 'WL_WARN_EOF_KEEP_OPEN' })
  }
  if (kind.eofAlwaysCloses || !keepOpen) host.closeAfterEof()
}
