/**
 * @packageDocumentation
 * `@wireline/core/testing`: what wireline's own tests use, for families and protocol authors:
 * recording protocols that produce the callback trace, a checker that asserts a trace against
 * a family's state machine, and small helpers for real-I/O tests.
 */
export {
  BaseRecorder, RecordingBufferedProtocol, RecordingDatagramProtocol, RecordingProtocol,
  RecordingSubprocessProtocol,
} from './recorder.js'
export type {
  BufferedRecorderOptions, DatagramRecorderOptions, RecorderOptions, StreamRecorderOptions,
  SubprocessRecorderOptions,
} from './recorder.js'
export { assertTrace, checkTrace } from './checker.js'
export type { CheckOptions, Family } from './checker.js'
export { Deferred, withTimeout } from './deferred.js'
export { captureExceptions, recordChannel, socketPair, tempDir, watchExceptions } from './helpers.js'
export { clientTls, serverTls, testCerts } from './tls.js'
export type { TestCerts, TestKeyPair } from './tls.js'
export { transportCompliance } from './compliance.js'
export type { CompliancePair, ComplianceRunner, TransportComplianceOptions } from './compliance.js'
export { streamPeer } from './compliance-peer.js'
export type { CompliancePeer } from './compliance-peer.js'
