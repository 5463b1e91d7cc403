// Totals the vitest results of every package (each writes .vitest-result.json), and the public-API
// checks (.api-result.json, one per entry point), into the one
// line CI reads: `N passed, N failed, N skipped`. Exits non-zero on any failure, on a package
// whose results are missing, and when the test run itself failed (exit status as argument).
//
//   node scripts/test-summary.mjs STATUS [--tests-only | --api-only] [--label NAME]
//
// .ci/run counts the API checks once and the tests once per runtime; `--label` starts the
// line with the runtime's name.
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const runStatus = Number(process.argv[2] ?? 0)
const testsOnly = process.argv.includes('--tests-only')
const apiOnly = process.argv.includes('--api-only')
const labelAt = process.argv.indexOf('--label')
const label = labelAt > 0 ? `${process.argv[labelAt + 1]}: ` : ''
let passed = 0
let failed = 0
let skipped = 0
const problems = []

for (const dir of readdirSync(join(root, 'packages'))) {
  const pkgFile = join(root, 'packages', dir, 'package.json')
  if (!existsSync(pkgFile)) continue
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8'))
  if (pkg.scripts?.test === undefined) continue
  // the public-API check (scripts/api-report.mjs): one check per entry point
  if (pkg.scripts?.['api-report'] !== undefined && !testsOnly) {
    const apiFile = join(root, 'packages', dir, '.api-result.json')
    if (!existsSync(apiFile)) {
      failed++
      problems.push(`${pkg.name}: no API report result (the check did not run)`)
    } else {
      const api = JSON.parse(readFileSync(apiFile, 'utf8'))
      passed += api.passed
      failed += api.failed
      for (const p of api.problems) problems.push(`${pkg.name}: ${p}`)
    }
  }
  if (apiOnly) continue
  const resultFile = join(root, 'packages', dir, '.vitest-result.json')
  if (!existsSync(resultFile)) {
    failed++
    problems.push(`${pkg.name}: no test results (the run crashed or did not start)`)
    continue
  }
  const r = JSON.parse(readFileSync(resultFile, 'utf8'))
  passed += r.numPassedTests ?? 0
  failed += r.numFailedTests ?? 0
  skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0)
  // a file that failed to load counts as a failure even though it ran no test
  for (const file of r.testResults ?? []) {
    if (file.status === 'failed' && (file.assertionResults ?? []).every((a) => a.status !== 'failed')) {
      failed++
      problems.push(`${pkg.name}: ${file.name} failed: ${(file.message ?? '').split('\n')[0]}`)
    }
  }
}
if (runStatus !== 0 && failed === 0) {
  failed++
  problems.push(`the test run exited with status ${runStatus}`)
}
for (const p of problems) console.log(`! ${p}`)
console.log(`${label}${passed} passed, ${failed} failed, ${skipped} skipped`)
process.exit(failed === 0 ? 0 : 1)
