import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const demo = fileURLToPath(new URL('../dist/demo.js', import.meta.url))

function runDemo (): Promise<{ stdout: string, stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [demo], { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(Object.assign(err, { stdout, stderr }))
      else resolve({ stdout, stderr })
    })
  })
}

describe('pnpm demo', () => {
  it('runs every example end to end and prints what the Python examples print', async () => {
    const { stdout, stderr } = await runDemo()
    expect(stderr).toBe('')
    const lines = stdout.split('\n')
    // TCP echo: the server's and the client's lines, in Python's format
    expect(stdout).toMatch(/^Connection from \('127\.0\.0\.1', \d+\)$/m)
    for (const line of [
      "Data sent: 'Hello World!'",
      "Data received: 'Hello World!'",
      "Send: 'Hello World!'",
      'Close the client socket',
      'The server closed the connection',
      'Received: abc',
      'All examples ran.',
    ]) expect(lines).toContain(line)
    // the client's order
    const order = ["Data sent: 'Hello World!'", 'Close the client socket', 'The server closed the connection']
    const at = order.map((l) => lines.indexOf(l))
    expect(at).toEqual([...at].sort((a, b) => a - b))

    // UDP echo: the server's lines (with the client's address, as Python's tuple) and the client's
    const udp = lines.slice(lines.indexOf('=== UDP echo server + UDP echo client ==='))
    const from = /^Received 'Hello World!' from \('127\.0\.0\.1', (\d+)\)$/.exec(udp.find((l) => l.startsWith("Received 'Hello")) ?? '')
    expect(from).not.toBeNull()
    expect(udp.slice(1, 8)).toEqual([
      'Starting UDP server',
      'Send: Hello World!',
      `Received 'Hello World!' from ('127.0.0.1', ${from![1]})`,
      `Send 'Hello World!' to ('127.0.0.1', ${from![1]})`,
      'Received: Hello World!',
      'Close the socket',
      'Connection closed',
    ])
  })
})
