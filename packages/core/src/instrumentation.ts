import * as dc from 'node:diagnostics_channel'

/**
 * wireline's instrumentation on `node:diagnostics_channel`, as undici and `node:net` publish
 * theirs: APM and logging tools observe transports without wrapping protocols. The channel
 * names and message shapes are documented API (core's README):
 *
 * - `wireline:connection:made` `{ transport, protocol }`: a connection's `connectionMade`
 *   has run (every family, client and server side);
 * - `wireline:connection:lost` `{ transport, protocol, error }`: its `connectionLost(error)`
 *   has run;
 * - `wireline:writing:paused` / `wireline:writing:resumed` `{ transport, protocol }`: write
 *   flow control paused or resumed the protocol;
 * - `wireline:server:listening` / `wireline:server:closed` `{ server }`: a server really
 *   listens (not before `startServing()`), and, once, is closed with every connection gone
 *   (by the time `waitClosed()` resolves);
 * - the tracing channel `wireline:connect` around each connection attempt: `start` before
 *   `connectionMade`, `asyncEnd` with the same context on success (`context.result` is
 *   `[transport, protocol]`), `error` with `context.error` on failure.
 *
 * When no one subscribes, nothing is published: each site checks `hasSubscribers` first.
 */

const connectionMade = dc.channel('wireline:connection:made')
const connectionLost = dc.channel('wireline:connection:lost')
const writingPaused = dc.channel('wireline:writing:paused')
const writingResumed = dc.channel('wireline:writing:resumed')
const serverListening = dc.channel('wireline:server:listening')
const serverClosed = dc.channel('wireline:server:closed')
const connect = dc.tracingChannel<unknown, object>('wireline:connect')

/** A connection's `connectionMade` has run. */
export function publishConnectionMade (transport: object, protocol: unknown): void {
  if (connectionMade.hasSubscribers) connectionMade.publish({ transport, protocol })
}

/** A connection's `connectionLost(error)` has run. */
export function publishConnectionLost (transport: object, protocol: unknown, error: Error | null): void {
  if (connectionLost.hasSubscribers) connectionLost.publish({ transport, protocol, error })
}

/** Flow control paused (`paused`) or resumed the protocol. */
export function publishWriting (paused: boolean, transport: unknown, protocol: unknown): void {
  const channel = paused ? writingPaused : writingResumed
  if (channel.hasSubscribers) channel.publish({ transport, protocol })
}

/** A server listens. */
export function publishServerListening (server: object): void {
  if (serverListening.hasSubscribers) serverListening.publish({ server })
}

/** A server is closed and every connection it accepted is gone. */
export function publishServerClosed (server: object): void {
  if (serverClosed.hasSubscribers) serverClosed.publish({ server })
}

/** Someone subscribes to `wireline:connect` (Bun's tracing channels have no `hasSubscribers`: ask each channel). */
function connectSubscribed (): boolean {
  return connect.hasSubscribers ?? (connect.start.hasSubscribers || connect.end.hasSubscribers ||
    connect.asyncStart.hasSubscribers || connect.asyncEnd.hasSubscribers || connect.error.hasSubscribers)
}

/**
 * Runs a connection attempt inside the `wireline:connect` tracing channel (when someone
 * subscribes), with `context` describing it: `{ family, ... }`.
 */
export function traceConnect<T> (context: Record<string, unknown>, attempt: () => Promise<T>): Promise<T> {
  if (!connectSubscribed()) return attempt()
  return connect.tracePromise(attempt, context)
}
