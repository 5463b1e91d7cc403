// Helpers the suites share: options, the machine header, pinning, building the C tools,
// child processes that talk in lines, medians and markdown tables.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

export const benchDir = fileURLToPath(new URL('../', import.meta.url))
export const buildDir = benchDir + '.build/'
export const resultsDir = benchDir + 'results/'

/** `--name=value` / `--flag` options of a suite. */
export function options (argv = process.argv.slice(2)) {
  const out = {}
  for (const a of argv) {
    if (!a.startsWith('--')) continue
    const eq = a.indexOf('=')
    if (eq === -1) out[a.slice(2)] = true
    else out[a.slice(2, eq)] = a.slice(eq + 1)
  }
  return out
}

/** The line a suite prints first: how to run it again, when, on what. */
export function header (suite) {
  const cmd = ['node', `bench/suites/${suite}.mjs`, ...process.argv.slice(2)].join(' ')
  return [
    `command: \`${cmd}\` (\`pnpm bench\` runs every suite)`,
    `date: ${new Date().toISOString()}; node ${process.version}; ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`,
  ].join('\n')
}

let tasksetOk
/** Whether `taskset` can pin processes here. */
export function canPin () {
  tasksetOk ??= spawnSync('taskset', ['-c', '0', 'true']).status === 0 && cpus().length >= 2
  return tasksetOk
}

/** Spawns `cmd args` pinned to `cpu` when possible (`cpu` null: not pinned). */
export function spawnPinned (cpu, cmd, args, opts = {}) {
  if (cpu !== null && canPin()) return spawn('taskset', ['-c', String(cpu), cmd, ...args], opts)
  return spawn(cmd, args, opts)
}

/**
 * Compiles `bench/loadgen/<name>.c` into `bench/.build/<out>` (default: `<name>`) with
 * `cc -O2 <cflags> ... <libs>` when the binary is missing or older than the source. Returns the
 * binary's path, or null without a C compiler. A failed build throws, unless `optional` (a
 * build that needs a library that may be missing, such as OpenSSL): then it returns null.
 */
export function buildC (name, { out = name, cflags = [], libs = [], optional = false } = {}) {
  const src = `${benchDir}loadgen/${name}.c`
  const bin = buildDir + out
  if (existsSync(bin) && statSync(bin).mtimeMs >= statSync(src).mtimeMs) return bin
  const cc = process.env.CC || 'cc'
  if (spawnSync(cc, ['--version']).status !== 0) return null
  mkdirSync(buildDir, { recursive: true })
  const r = spawnSync(cc, ['-O2', '-Wall', ...cflags, '-o', bin, src, ...libs], { encoding: 'utf8' })
  if (r.status !== 0) {
    if (optional) return null
    throw new Error(`${cc} -O2 ${src} failed:\n${r.stderr}`)
  }
  return bin
}

/** Calls `onLine(line)` for every line a child writes to stdout. */
export function onLines (child, onLine) {
  createInterface({ input: child.stdout }).on('line', onLine)
}

/** Resolves with [code, signal] when the child exits. */
export function exited (child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve([child.exitCode, child.signalCode])
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve([code, signal])))
}

/**
 * Statistics over interleaved rounds. `samples` are objects with `variant`, `round`, an
 * optional `failed` and the `metrics`; `rowOf(sample)` names the row (table line) a sample
 * belongs to.
 * - `byRound(variant, row)`: that variant's samples of the row, a Map round → sample;
 * - `med(variant, row)`: the median over the rounds of each metric (`n`: how many rounds);
 * - `paired(variant, base, row)`: `variant ÷ base` for each metric, the median over the rounds
 *   of the ratio within each round (the variants of one round ran side by side, so their
 *   ratio is far steadier than the ratio of two medians taken over rounds the machine ran at
 *   different speeds).
 */
export function roundStats (samples, metrics, rowOf) {
  const byRound = (variant, row) => {
    const out = new Map()
    for (const s of samples) if (s.variant === variant && rowOf(s) === row && !s.failed) out.set(s.round, s)
    return out
  }
  const med = (variant, row) => {
    const xs = [...byRound(variant, row).values()]
    const out = { n: xs.length, all: (k) => xs.map((s) => s[k]) }
    for (const k of metrics) out[k] = median(xs.map((s) => s[k]))
    return out
  }
  const paired = (variant, base, row) => {
    const a = byRound(variant, row)
    const b = byRound(base, row)
    const out = {}
    for (const k of metrics) {
      out[k] = median([...a].filter(([r]) => b.has(r)).map(([r, s]) => ratio(s[k], b.get(r)[k])))
    }
    return out
  }
  return { byRound, med, paired }
}

/** Rotates `list` by `n` places: each round starts with another variant. */
export function rotate (list, n) {
  return list.map((_, i) => list[(i + n) % list.length])
}

export function median (xs) {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  if (v.length === 0) return NaN
  const m = v.length >> 1
  return v.length % 2 === 1 ? v[m] : (v[m - 1] + v[m]) / 2
}

export function fmt (x, digits = 0) {
  if (!Number.isFinite(x)) return '–'
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

export function ratio (a, b) {
  return Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? a / b : NaN
}

export function fmtRatio (x) {
  return Number.isFinite(x) ? x.toFixed(2) : '–'
}

export function fmtSize (n) {
  if (n >= 1 << 20 && n % (1 << 20) === 0) return `${n >> 20} MiB`
  if (n >= 1024 && n % 1024 === 0) return `${n >> 10} KiB`
  return `${n} B`
}

/** A markdown table: `head` is an array of column titles, `rows` arrays of cells. */
export function table (head, rows, align) {
  const al = align ?? head.map((_, i) => (i === 0 ? 'l' : 'r'))
  const out = [`| ${head.join(' | ')} |`, `| ${al.map((a) => (a === 'l' ? '---' : '---:')).join(' | ')} |`]
  for (const r of rows) out.push(`| ${r.join(' | ')} |`)
  return out.join('\n')
}

/** Saves a suite's raw results as JSON in bench/results/ (gitignored). Returns the path. */
export function saveResults (suite, data) {
  mkdirSync(resultsDir, { recursive: true })
  const path = `${resultsDir}${suite}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`
  writeFileSync(path, JSON.stringify(data, null, 2) + '\n')
  return path
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
