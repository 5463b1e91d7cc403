import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const examples = fileURLToPath(new URL('..', import.meta.url))

/** The Node built-ins that importing `specifier` (the built package) loads, in a fresh process. */
function builtinsLoadedBy (specifier: string): Promise<string[]> {
  const code = `
    const before = new Set(process.moduleLoadList)
    await import(${JSON.stringify(specifier)})
    const added = process.moduleLoadList.filter((m) => !before.has(m) && m.startsWith('NativeModule ') && !m.includes('internal/'))
    console.log(JSON.stringify(added.map((m) => m.slice('NativeModule '.length))))
  `
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', code], { cwd: examples, timeout: 20_000 }, (err, stdout) => {
      if (err) reject(err)
      else resolve(JSON.parse(stdout) as string[])
    })
  })
}

// Loading a family loads only what it uses: Node built-ins that only some transports need
// (node:tls, node:dns) load on first use, and the contract entry loads no socket code at all.
describe('what importing a package loads', () => {
  it('@wireline/core (the contract) loads neither net nor tls', async () => {
    const loaded = await builtinsLoadedBy('@wireline/core')
    expect(loaded).not.toContain('net')
    expect(loaded).not.toContain('tls')
  })

  for (const family of ['datagram', 'subprocess', 'stream', 'buffered']) {
    it(`@wireline/${family} does not load node:tls until TLS is used`, async () => {
      expect(await builtinsLoadedBy(`@wireline/${family}`)).not.toContain('tls')
    })
  }
})
