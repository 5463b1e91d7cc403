// Writes the API table of every published package into its README, between the markers
// `<!-- api-table -->` and `<!-- /api-table -->`, from TypeDoc's JSON model (`pnpm docs`
// writes docs/api/api.json): each export of each entry point, its kind and the first sentence
// of its doc comment. Names a family re-exports from @wireline/core are listed in one line.
//
//   pnpm docs && node scripts/api-tables.mjs
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const model = JSON.parse(readFileSync(join(root, 'docs/api/api.json'), 'utf8'))
const KINDS = { 8: 'enum', 32: 'const', 64: 'function', 128: 'class', 256: 'interface', 2097152: 'type' }
const ORDER = ['function', 'const', 'class', 'interface', 'type', 'enum']

function firstSentence (reflection) {
  const comment = reflection.comment ?? reflection.signatures?.[0]?.comment
  if (comment === undefined) return ''
  const text = comment.summary.map((part) => part.text).join('').split(/\n\s*\n/)[0].replace(/\s+/g, ' ').trim()
  const m = /^(.*?[.!?])(?:\s+(?=[A-Z`(])|$)/.exec(text)
  return (m ? m[1] : text).replace(/\|/g, '\\|')
}

function fromCore (reflection, pkgName) {
  return pkgName !== '@wireline/core' && (reflection.sources ?? []).some((s) => s.fileName.includes('core/src'))
}

function table (children, pkgName) {
  const own = children.filter((c) => KINDS[c.kind] !== undefined && !fromCore(c, pkgName))
  const core = children.filter((c) => KINDS[c.kind] !== undefined && fromCore(c, pkgName)).map((c) => `\`${c.name}\``)
  own.sort((a, b) => ORDER.indexOf(KINDS[a.kind]) - ORDER.indexOf(KINDS[b.kind]) || a.name.localeCompare(b.name))
  const rows = own.map((c) => `| \`${c.name}\` | ${KINDS[c.kind]} | ${firstSentence(c)} |`)
  const lines = ['| export | kind | what |', '| --- | --- | --- |', ...rows]
  if (core.length > 0) lines.push('', `Re-exported from \`@wireline/core\`: ${core.sort().join(', ')}.`)
  return lines.join('\n')
}

for (const pkg of model.children) {
  const dir = join(root, 'packages', pkg.name.replace('@wireline/', ''))
  const modules = pkg.children.every((c) => c.kind === 2) ? pkg.children : [{ name: 'index', children: pkg.children }]
  const sections = modules.map((m) => {
    const entry = m.name === 'index' ? pkg.name : `${pkg.name}/${m.name}`
    return (modules.length > 1 ? `### \`${entry}\`\n\n` : '') + table(m.children ?? [], pkg.name)
  })
  const readmeFile = join(dir, 'README.md')
  const readme = readFileSync(readmeFile, 'utf8')
  const block = `<!-- api-table (scripts/api-tables.mjs) -->\n${sections.join('\n\n')}\n<!-- /api-table -->`
  const re = /<!-- api-table[^>]*-->[\s\S]*?<!-- \/api-table -->/
  if (!re.test(readme)) {
    console.log(`${pkg.name}: no api-table markers in README.md, skipped`)
    continue
  }
  writeFileSync(readmeFile, readme.replace(re, () => block))
  console.log(`${pkg.name}: README API table written`)
}
