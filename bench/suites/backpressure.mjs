// Backpressure: a wireline Protocol writes 512 MiB as fast as pauseWriting/resumeWriting let
// it to a reader that reads slowly; its RSS growth must stay under 64 MiB. Beside it, the same
// producer on raw `net` twice: heeding write()'s return value (the control: what is left of its
// growth is garbage the collector has not freed yet, the same for any writer of fresh chunks),
// and naive, ignoring it (what the reader cannot take piles up).
//
//   node bench/suites/backpressure.mjs [--quick] [--total=MiB] [--rate=MiB/s] [--chunk=KiB]
//
// Writer and reader each run in a process of their own (pinned to CPUs 0 and 1 where
// taskset exists). The writer's growth is its peak RSS (maxRSS) minus its RSS once loaded.
import {
  benchDir, canPin, exited, fmt, header, onLines, options, saveResults, spawnPinned, table,
} from '../lib/common.mjs'

const opt = options()
const quick = opt.quick === true
const totalMiB = Number(opt.total ?? 512)
const rateMiB = Number(opt.rate ?? (quick ? 384 : 192))
const chunkKiB = Number(opt.chunk ?? 64)
const LIMIT_MIB = 64

const WRITERS = {
  wireline: 'wireline Protocol (pauseWriting/resumeWriting)',
  polite: "raw net heeding write()'s return ('drain')",
  naive: "naive raw net (ignores write()'s return)",
}

async function run (mode) {
  const reader = spawnPinned(1, process.execPath, [benchDir + 'lib/bp-reader.mjs', String(rateMiB)],
    { stdio: ['ignore', 'pipe', 'inherit'] })
  let done
  const readerDone = new Promise((resolve) => { done = resolve })
  const port = await new Promise((resolve, reject) => {
    onLines(reader, (line) => {
      if (line.startsWith('PORT ')) resolve(Number(line.slice(5)))
      else if (line.startsWith('DONE ')) done(JSON.parse(line.slice(5)))
    })
    reader.once('exit', () => reject(new Error('reader exited early')))
  })
  const writer = spawnPinned(0, process.execPath, [benchDir + 'lib/bp-writer.mjs', mode, String(port),
    String(totalMiB * 1024 * 1024), String(chunkKiB * 1024)], { stdio: ['ignore', 'pipe', 'inherit'] })
  let result = null
  onLines(writer, (line) => {
    if (line.startsWith('RESULT ')) result = JSON.parse(line.slice(7))
  })
  const timer = setTimeout(() => { writer.kill('SIGKILL'); reader.kill('SIGKILL') }, 120_000)
  const [code] = await exited(writer)
  const got = await Promise.race([readerDone, exited(reader).then(() => null)])
  reader.kill()
  await exited(reader)
  clearTimeout(timer)
  if (code !== 0 || result === null) return { mode, failed: true }
  return {
    mode,
    written: result.written,
    received: got?.received ?? NaN,
    seconds: result.seconds,
    baselineMiB: result.baseline_rss_kib / 1024,
    peakMiB: result.max_rss_kib / 1024,
    growthMiB: (result.max_rss_kib - result.baseline_rss_kib) / 1024,
    pauses: result.pauses,
    maxBufferedKiB: result.max_buffered / 1024,
  }
}

console.log('## Backpressure: RSS growth of a writer that outpaces its reader\n')
console.log(header('backpressure'))
console.log(`${totalMiB} MiB in fresh ${chunkKiB} KiB chunks to a reader limited to ${rateMiB} MiB/s; ` +
  `${canPin() ? 'writer pinned to CPU 0, reader to CPU 1' : 'not pinned'}; growth = the writer's peak RSS − its RSS once loaded\n`)

const results = []
for (const mode of ['wireline', 'polite', 'naive']) results.push(await run(mode))

const rows = results.map((r) => r.failed
  ? [WRITERS[r.mode], 'failed', '', '', '', '', '', '', '', '']
  : [
      WRITERS[r.mode],
      fmt(r.written / 1048576), fmt(r.received / 1048576), fmt(r.seconds, 1),
      fmt(r.baselineMiB), fmt(r.peakMiB), `**${fmt(r.growthMiB, 1)}**`,
      fmt(r.maxBufferedKiB),
      r.mode === 'naive' ? '–' : fmt(r.pauses),
      r.mode === 'wireline' ? (r.growthMiB < LIMIT_MIB ? `yes (< ${LIMIT_MIB} MiB)` : `**no** (>= ${LIMIT_MIB} MiB)`) : '–',
    ])
console.log(table(['writer', 'MiB written', 'MiB read', 'seconds', 'RSS at start MiB', 'peak RSS MiB', 'RSS growth MiB',
  'most buffered KiB', 'pauseWriting calls', 'target met'], rows))
const path = saveResults('backpressure', { totalMiB, rateMiB, chunkKiB, results })
const control = results.find((r) => r.mode === 'polite')
const wlRun = results.find((r) => r.mode === 'wireline')
if (!control.failed && !wlRun.failed) {
  console.log(`\nwireline's growth ÷ the heeding raw writer's: ${(wlRun.growthMiB / control.growthMiB).toFixed(2)}`)
}
console.log('\nmost buffered: the largest getWriteBufferSize() (wireline) or socket.writableLength (raw) seen after a write; ' +
  'pauseWriting calls: for the heeding raw writer, the times write() returned false. ' +
  'The rest of wireline\'s growth is written chunks waiting for the garbage collector, not buffered data.')
console.log(`\n(raw results in ${path.slice(benchDir.length - 6)})\n`)
const wl = results.find((r) => r.mode === 'wireline')
if (wl.failed || wl.received !== wl.written) process.exitCode = 1
