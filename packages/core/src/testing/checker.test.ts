import { describe, expect, it } from 'vitest'
import { assertTrace, checkTrace } from './checker.js'

describe('checkTrace', () => {
  it('accepts the stream grammar with pause/resume anywhere inside', () => {
    expect(checkTrace(['connectionMade', 'dataReceived', 'pauseWriting', 'dataReceived', 'resumeWriting', 'eofReceived', 'connectionLost'], 'stream')).toEqual([])
    expect(checkTrace(['connectionMade', 'connectionLost'], 'stream')).toEqual([])
    expect(checkTrace(['connectionMade', 'dataReceived'], 'stream', { complete: false })).toEqual([])
  })

  it('rejects what the stream grammar forbids', () => {
    expect(checkTrace(['dataReceived', 'connectionMade', 'connectionLost'], 'stream').length).toBeGreaterThan(0)
    expect(checkTrace(['connectionMade', 'eofReceived', 'dataReceived', 'connectionLost'], 'stream')).toEqual(['#2 dataReceived: dataReceived after eofReceived'])
    expect(checkTrace(['connectionMade', 'connectionLost', 'dataReceived'], 'stream')).toEqual(['#2 dataReceived: a callback after connectionLost'])
    expect(checkTrace(['connectionMade', 'resumeWriting', 'connectionLost'], 'stream')).toEqual(['#1 resumeWriting: resumeWriting without a pauseWriting before it'])
    expect(checkTrace(['connectionMade', 'pauseWriting', 'pauseWriting', 'connectionLost'], 'stream')).toEqual(['#2 pauseWriting: pauseWriting twice without resumeWriting'])
    expect(checkTrace(['connectionMade', 'dataReceived'], 'stream')).toEqual(['the trace does not end with connectionLost'])
    expect(checkTrace(['connectionMade', 'getBuffer', 'connectionLost'], 'stream')).toEqual(['#1 getBuffer: not a stream callback'])
    expect(checkTrace([], 'stream')).toEqual(['empty trace: no connectionMade'])
  })

  it('buffered: bufferUpdated needs the getBuffer right before it; getBuffer alone is fine', () => {
    expect(checkTrace(['connectionMade', 'getBuffer', 'bufferUpdated', 'getBuffer', 'getBuffer', 'bufferUpdated', 'eofReceived', 'connectionLost'], 'buffered')).toEqual([])
    expect(checkTrace(['connectionMade', 'bufferUpdated', 'connectionLost'], 'buffered')).toEqual(['#1 bufferUpdated: bufferUpdated without a getBuffer right before it'])
    expect(checkTrace(['connectionMade', 'getBuffer', 'bufferUpdated', 'bufferUpdated', 'connectionLost'], 'buffered')).toEqual(['#3 bufferUpdated: bufferUpdated without a getBuffer right before it'])
  })

  it('datagram: any mix of datagrams and errors between made and lost', () => {
    expect(checkTrace(['connectionMade', 'datagramReceived', 'errorReceived', 'datagramReceived', 'connectionLost'], 'datagram')).toEqual([])
    expect(checkTrace(['connectionMade', 'dataReceived', 'connectionLost'], 'datagram')).toEqual(['#1 dataReceived: not a datagram callback'])
  })

  it('subprocess: per-fd order, one exit, connectionLost after the exit and every piped fd', () => {
    const ok = ['connectionMade', 'pipeDataReceived(1)', 'processExited', 'pipeDataReceived(2)', 'pipeConnectionLost(1)', 'pipeConnectionLost(2)', 'connectionLost']
    expect(checkTrace(ok, 'subprocess', { pipedFds: [1, 2] })).toEqual([])
    expect(checkTrace(['connectionMade', 'pipeConnectionLost(1)', 'pipeDataReceived(1)', 'processExited', 'connectionLost'], 'subprocess'))
      .toEqual(['#2 pipeDataReceived(1): pipeDataReceived(1) after pipeConnectionLost(1)'])
    expect(checkTrace(['connectionMade', 'processExited', 'processExited', 'connectionLost'], 'subprocess'))
      .toEqual(['#2 processExited: processExited twice'])
    expect(checkTrace(['connectionMade', 'pipeConnectionLost(1)', 'connectionLost'], 'subprocess', { pipedFds: [1, 2] }))
      .toEqual(['#2 connectionLost: connectionLost before processExited', '#2 connectionLost: connectionLost before pipeConnectionLost(2)'])
  })

  it('assertTrace throws with every problem listed', () => {
    expect(() => assertTrace(['connectionMade', 'connectionLost'], 'stream')).not.toThrow()
    expect(() => assertTrace(['connectionMade', 'eofReceived', 'eofReceived', 'connectionLost'], 'stream')).toThrow(/eofReceived twice/)
  })
})
