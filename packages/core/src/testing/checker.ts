/**
 * Checks a callback trace against a family's state machine from SPEC.md:
 *
 *     stream:     connectionMade  dataReceived*  eofReceived?  connectionLost
 *     buffered:   connectionMade  (getBuffer bufferUpdated?)*  eofReceived?  connectionLost
 *     datagram:   connectionMade  (datagramReceived | errorReceived)*  connectionLost
 *     subprocess: connectionMade  (pipeDataReceived | pipeConnectionLost | processExited)*
 *                 connectionLost
 *
 * In every family `pauseWriting` / `resumeWriting` may come anywhere between the first and
 * the last callback, alternating, starting with a pause. A trace may stop before
 * `connectionLost` (a connection still open) unless `complete` is set.
 */

/** The protocol families, each with its state machine. */
export type Family = 'stream' | 'buffered' | 'datagram' | 'subprocess'

/** Options of `checkTrace` / `assertTrace`. */
export interface CheckOptions {
  /** The trace must end with `connectionLost` (default true). */
  complete?: boolean
  /** subprocess: the piped fds; each needs its `pipeConnectionLost` before `connectionLost`. */
  pipedFds?: number[]
}

const FAMILY_EVENTS: Record<Family, Set<string>> = {
  stream: new Set(['dataReceived', 'eofReceived']),
  buffered: new Set(['getBuffer', 'bufferUpdated', 'eofReceived']),
  datagram: new Set(['datagramReceived', 'errorReceived']),
  subprocess: new Set(['pipeDataReceived', 'pipeConnectionLost', 'processExited']),
}

function parse (event: string): { name: string, fd: number | null } {
  const m = /^(\w+)(?:\((\d+)\))?$/.exec(event)
  if (m === null) return { name: event, fd: null }
  return { name: m[1]!, fd: m[2] === undefined ? null : Number(m[2]) }
}

/** Returns every violation of the family's state machine in `events` (empty when it conforms). */
export function checkTrace (events: readonly string[], family: Family, options: CheckOptions = {}): string[] {
  const complete = options.complete ?? true
  const problems: string[] = []
  const bad = (i: number, why: string): void => { problems.push(`#${i} ${events[i] ?? '(end)'}: ${why}`) }
  let made = false
  let lost = false
  let paused = false
  let eof = false
  let lastWasGetBuffer = false
  let exited = 0
  const pipeClosed = new Set<number>()

  events.forEach((event, i) => {
    const { name, fd } = parse(event)
    if (lost) { bad(i, 'a callback after connectionLost'); return }
    if (name === 'connectionMade') {
      if (made) bad(i, 'connectionMade called twice')
      if (i !== 0) bad(i, 'connectionMade is not the first callback')
      made = true
      return
    }
    if (!made) bad(i, 'a callback before connectionMade')
    switch (name) {
      case 'connectionLost':
        lost = true
        if (family === 'subprocess') {
          if (exited === 0) bad(i, 'connectionLost before processExited')
          for (const p of options.pipedFds ?? []) {
            if (!pipeClosed.has(p)) bad(i, `connectionLost before pipeConnectionLost(${p})`)
          }
        }
        return
      case 'pauseWriting':
        if (paused) bad(i, 'pauseWriting twice without resumeWriting')
        paused = true
        return
      case 'resumeWriting':
        if (!paused) bad(i, 'resumeWriting without a pauseWriting before it')
        paused = false
        return
    }
    if (!FAMILY_EVENTS[family].has(name)) { bad(i, `not a ${family} callback`); return }
    switch (name) {
      case 'dataReceived':
        if (eof) bad(i, 'dataReceived after eofReceived')
        break
      case 'getBuffer':
        if (eof) bad(i, 'getBuffer after eofReceived')
        lastWasGetBuffer = true
        return
      case 'bufferUpdated':
        if (eof) bad(i, 'bufferUpdated after eofReceived')
        if (!lastWasGetBuffer) bad(i, 'bufferUpdated without a getBuffer right before it')
        lastWasGetBuffer = false
        return
      case 'eofReceived':
        if (eof) bad(i, 'eofReceived twice')
        eof = true
        break
      case 'processExited':
        exited++
        if (exited > 1) bad(i, 'processExited twice')
        break
      case 'pipeDataReceived':
        if (fd === null) bad(i, 'pipeDataReceived without its fd')
        else if (pipeClosed.has(fd)) bad(i, `pipeDataReceived(${fd}) after pipeConnectionLost(${fd})`)
        break
      case 'pipeConnectionLost':
        if (fd === null) bad(i, 'pipeConnectionLost without its fd')
        else if (pipeClosed.has(fd)) bad(i, `pipeConnectionLost(${fd}) twice`)
        else pipeClosed.add(fd)
        break
    }
    if (family === 'buffered' && name !== 'pauseWriting' && name !== 'resumeWriting') lastWasGetBuffer = false
  })
  if (events.length === 0) problems.push('empty trace: no connectionMade')
  else if (complete && !lost) problems.push('the trace does not end with connectionLost')
  return problems
}

/** Throws an `Error` listing every violation when `events` does not conform. */
export function assertTrace (events: readonly string[], family: Family, options: CheckOptions = {}): void {
  const problems = checkTrace(events, family, options)
  if (problems.length > 0) {
    throw new Error(`trace violates the ${family} state machine:\n  ${problems.join('\n  ')}\ntrace: ${events.join(' ')}`)
  }
}
