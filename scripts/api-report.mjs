// The public API of one package, as api-extractor reads it from the built declarations, checked
// against the committed report in the package's etc/ folder (one report per entry point).
//
//   node ../../scripts/api-report.mjs            check: fails when the API differs from the report
//   node ../../scripts/api-report.mjs --update   rewrite the reports (then review and commit them)
//
// Beyond api-extractor's own errors (a type used by a public signature but exported by no entry
// point is `ae-forgotten-export`), it fails on any `_`-prefixed member and on a public
// constructor of a class listed in `noPublicConstructor`. Writes .api-result.json, counted by
// scripts/test-summary.mjs as one check per entry point.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'

const require = createRequire(import.meta.url)
const { Extractor, ExtractorConfig } = require('@microsoft/api-extractor')

const update = process.argv.includes('--update')
const packageFolder = process.cwd()
const pkg = JSON.parse(readFileSync(join(packageFolder, 'package.json'), 'utf8'))
const shortName = pkg.name.replace(/^@wireline\//, '')

/** Classes whose constructor must not be public (they are made by the library only). */
const noPublicConstructor = ['Server']

const entries = Object.entries(pkg.exports)
  .filter(([subpath, target]) => subpath !== './package.json' && typeof target === 'object')
  .map(([subpath, target]) => ({
    name: subpath === '.' ? shortName : `${shortName}-${subpath.slice(2).replace(/\//g, '-')}`,
    types: join(packageFolder, target.types),
  }))

/** Names an entry point's declaration file exports (its `export { ... }` and `export type { ... }` lists). */
function exportedNames (typesFile) {
  const names = new Set()
  if (!existsSync(typesFile)) return names
  for (const m of readFileSync(typesFile, 'utf8').matchAll(/^export (?:type )?\{([^}]*)\}/gm)) {
    for (const part of m[1].split(',')) {
      const name = part.trim().replace(/^type /, '').split(/\s+as\s+/).pop()
      if (name) names.add(name)
    }
  }
  return names
}

// A type one entry point uses and another entry point of the package exports is not forgotten:
// api-extractor reads each entry point alone.
const exportedByPackage = new Set(entries.flatMap((e) => [...exportedNames(e.types)]))

const problems = []
let passed = 0
mkdirSync(join(packageFolder, 'etc'), { recursive: true })

for (const entry of entries) {
  const before = problems.length
  if (!existsSync(entry.types)) {
    problems.push(`${entry.name}: ${entry.types} is missing (build first)`)
    continue
  }
  const config = ExtractorConfig.prepare({
    configObject: {
      projectFolder: packageFolder,
      mainEntryPointFilePath: entry.types,
      compiler: { overrideTsconfig: { compilerOptions: { lib: ['ES2023', 'ESNext.Disposable'], types: ['node'], skipLibCheck: true, module: 'ESNext', moduleResolution: 'Bundler', target: 'ES2023' } } },
      apiReport: { enabled: true, reportFileName: `${entry.name}.api.md`, reportFolder: '<projectFolder>/etc/', reportTempFolder: '<projectFolder>/.api-temp/' },
      docModel: { enabled: false },
      dtsRollup: { enabled: false },
      tsdocMetadata: { enabled: false },
      messages: {
        compilerMessageReporting: { default: { logLevel: 'warning' } },
        extractorMessageReporting: {
          default: { logLevel: 'warning' },
          'ae-forgotten-export': { logLevel: 'error', addToApiReportFile: false },
          'ae-missing-release-tag': { logLevel: 'none' },
          'ae-internal-missing-underscore': { logLevel: 'none' },
          'ae-unresolved-link': { logLevel: 'none' },
          // documentation coverage is the docs' check (TypeDoc), not the API report's
          'ae-undocumented': { logLevel: 'none' },
        },
        tsdocMessageReporting: { default: { logLevel: 'none' } },
      },
    },
    configObjectFullPath: join(packageFolder, 'api-extractor.json'),
    packageJsonFullPath: join(packageFolder, 'package.json'),
  })
  const result = Extractor.invoke(config, {
    localBuild: update,
    showVerboseMessages: false,
    messageCallback: (message) => {
      const forgotten = message.messageId === 'ae-forgotten-export' && /The symbol "([^"]+)"/.exec(message.text)
      if (forgotten && exportedByPackage.has(forgotten[1])) {
        message.handled = true
      } else if ((message.logLevel === 'error' || message.logLevel === 'warning') && !message.messageId.startsWith('console-')) {
        problems.push(`${entry.name}: ${message.messageId}: ${message.text}`)
        message.handled = true
      } else {
        message.handled = true
      }
    },
  })
  if (result.apiReportChanged && !update) {
    problems.push(`${entry.name}: the public API differs from etc/${entry.name}.api.md (run \`pnpm api:update\`, review the diff, commit it)`)
  }
  const reportFile = join(packageFolder, 'etc', `${entry.name}.api.md`)
  if (existsSync(reportFile)) {
    const report = readFileSync(reportFile, 'utf8')
    for (const line of report.split('\n')) {
      if (/^\s+(?:(?:readonly|static|protected|get|set|abstract)\s+)*_[A-Za-z0-9]\w*[?(:<]/.test(line) ||
          /^export (?:function|const|class|interface|type) _/.test(line)) {
        problems.push(`${entry.name}: an underscore member is public: ${line.trim()}`)
      }
    }
    for (const cls of noPublicConstructor) {
      const m = new RegExp(`export class ${cls}\\b[^{]*\\{([\\s\\S]*?)\\n\\}`).exec(report)
      if (m !== null && /\n\s+constructor\(/.test(m[1])) problems.push(`${entry.name}: class ${cls} has a public constructor`)
    }
  }
  if (problems.length === before) passed++
}

for (const p of problems) console.log(`! ${p}`)
const failed = entries.length - passed
console.log(`${pkg.name} API: ${passed} of ${entries.length} entry points match their reports`)
writeFileSync(join(packageFolder, '.api-result.json'), JSON.stringify({ passed, failed, problems }) + '\n')
process.exit(failed === 0 ? 0 : 1)
