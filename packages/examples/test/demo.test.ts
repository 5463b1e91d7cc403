import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const demo = fileURLToPath(new URL('../dist/demo.js', import.meta.url))

function runDemo (file = demo): Promise<{ stdout: string, stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [file], { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(Object.assign(err, { stdout, stderr }))
      else resolve({ stdout, stderr })
    })
  })
}

const CURRENT_DATE = /^Current date: (\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{6})$/m

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
    // TLS echo
    expect(stdout).toMatch(/^Cipher: \('TLS_[A-Z0-9_]+', 'TLSv1\.3', (128|256)\)$/m)
    expect(lines).toContain("Data sent: 'Hello over TLS!'")
    expect(lines).toContain("Data received: 'Hello over TLS!'")
    // STARTTLS: plaintext first, then the same conversation encrypted, each side once
    const mail = [
      "C got (plain): '220 mail.example ESMTP ready'",
      "S got (plain): 'EHLO client.example'",
      "C got (plain): '250 ok: EHLO client.example'",
      "S got (plain): 'STARTTLS'",
      "C got (plain): '220 go ahead'",
      "S got (tls): 'MAIL FROM:<alice@example.org>'",
      "C got (tls): '250 ok: MAIL FROM:<alice@example.org>'",
      "S got (tls): 'QUIT'",
      "C got (tls): '221 bye'",
      'C connection closed',
    ]
    const mailAt = mail.map((l) => lines.indexOf(l))
    expect(mailAt.every((i) => i >= 0)).toBe(true)
    expect(mailAt).toEqual([...mailAt].sort((a, b) => a - b))
    expect(stdout).toMatch(/^C upgraded: \('TLS_/m)
    // the pipe example
    for (const line of ['pipe connected: True', "received: 'one'", "received: 'two'", "received: 'three'", 'received EOF',
      'pipe closed: None after 3 lines', 'child exited with 0']) expect(lines).toContain(line)
    // the buffered example: 64 MiB into one 256 KiB buffer, intact
    expect(stdout).toMatch(/^received 67108864 bytes in \d+ reads into one 256 KiB buffer$/m)
    expect(lines).toContain('checksum matches')
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
    // TCP echo using streams: the server's and the client's lines, in the order they must come
    const streams = lines.slice(lines.indexOf('=== TCP echo server + TCP echo client using streams ==='))
    const streamsEnd = streams.findIndex((l, i) => i > 0 && l.startsWith('=== '))
    const section = streams.slice(1, streamsEnd).filter((l) => l !== '')
    const serving = /^Serving on \('127\.0\.0\.1', (\d+)\)$/.exec(section[0] ?? '')
    expect(serving).not.toBeNull()
    expect(Number(serving![1])).toBeGreaterThan(0)
    const received = /^Received 'Hello World!' from \('127\.0\.0\.1', (\d+)\)$/.exec(section[2] ?? '')
    expect(received).not.toBeNull()
    expect(Number(received![1])).not.toBe(Number(serving![1])) // the client's port, not the server's
    expect([section[1], section[3], section[4]]).toEqual([
      "Send: 'Hello World!'", "Send: 'Hello World!'", 'Close the connection',
    ])
    expect(section.slice(5).sort()).toEqual(['Close the connection', "Received: 'Hello World!'"])
    expect(section).toHaveLength(7)
    // subprocess_exec: the child's date, as Python's datetime.now() prints it
    expect(stdout).toMatch(CURRENT_DATE)
  })

  it('runs the subprocess example on its own: a date close to now', async () => {
    const before = Date.now()
    const { stdout, stderr } = await runDemo(fileURLToPath(new URL('../dist/subprocess-date.js', import.meta.url)))
    expect(stderr).toBe('')
    const m = CURRENT_DATE.exec(stdout)
    expect(m).not.toBe(null)
    const [, y, mo, d, h, mi, s, us] = m!.map(Number)
    const printed = new Date(y!, mo! - 1, d!, h!, mi!, s!, Math.floor(us! / 1000)).getTime()
    expect(printed).toBeGreaterThanOrEqual(before - 1000)
    expect(printed).toBeLessThanOrEqual(Date.now() + 1000)
    expect(stdout.trim().split('\n')).toHaveLength(1)
  })
})
