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
 * Compiles `bench/loadgen/<name>.c` into `bench/.build/<name>` with `cc -O2` when the binary
 * is missing or older than the source. Returns the binary's path, or null without a C compiler.
 */
export function buildC (name) {
  const src = `${benchDir}loadgen/${name}.c`
  const bin = buildDir + name
  if (existsSync(bin) && statSync(bin).mtimeMs >= statSync(src).mtimeMs) return bin
  const cc = process.env.CC || 'cc'
  if (spawnSync(cc, ['--version']).status !== 0) return null
  mkdirSync(buildDir, { recursive: true })
  const r = spawnSync(cc, ['-O2', '-Wall', '-o', bin, src], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`${cc} -O2 ${src} failed:\n${r.stderr}`)
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
