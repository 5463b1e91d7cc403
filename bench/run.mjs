// `pnpm bench`: runs every suite in suites/ (each in its own process, one after another) and
// prints their tables. `pnpm bench -- <name>...` runs only the suites whose file name
// contains one of the names; `--quick` is passed on to each suite (fewer, shorter rounds).
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { cpus } from 'node:os'
import { fileURLToPath } from 'node:url'

const dir = fileURLToPath(new URL('./suites/', import.meta.url))
const args = process.argv.slice(2).filter((a) => a !== '--') // pnpm passes its '--' on
const flags = args.filter((a) => a.startsWith('--'))
const names = args.filter((a) => !a.startsWith('--'))
const suites = readdirSync(dir)
  .filter((f) => f.endsWith('.mjs'))
  .filter((f) => names.length === 0 || names.some((n) => f.includes(n)))
  .sort()

console.log(`# wireline bench — ${new Date().toISOString()}`)
console.log(`node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}\n`)
let failed = 0
for (const suite of suites) {
  const r = spawnSync(process.execPath, ['--expose-gc', dir + suite, ...flags], { stdio: 'inherit' })
  if (r.status !== 0) {
    failed++
    console.log(`\n(suite ${suite} exited with ${r.status ?? r.signal})\n`)
  }
}
process.exit(failed === 0 ? 0 : 1)
