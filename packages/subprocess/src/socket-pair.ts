import { mkdtemp, rm } from 'node:fs/promises'
import * as net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { onreadOption } from '@wireline/core/machinery'

/** Our end of a socket pair (it reads through `ONREAD`), and the end handed to the child. */
export interface SocketPair {
  ours: net.Socket
  theirs: net.Socket
}

/**
 * A connected pair of Unix sockets, what libuv's `socketpair()` gives for `stdio: 'pipe'`.
 * Used for `stderr: 'stdout'`: Node cannot point the child's fd 2 at the pipe it creates for
 * fd 1, so the child gets one end of our own pair as both. Made through a listening socket in
 * a fresh private directory (mode 0700: no other user can connect in between), removed before
 * this resolves.
 */
export async function unixSocketPair (): Promise<SocketPair> {
  const dir = await mkdtemp(join(tmpdir(), 'wireline-sp-'))
  const server = net.createServer({ pauseOnConnect: true })
  try {
    const path = join(dir, 's')
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(path, () => { server.off('error', reject); resolve() })
    })
    const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve))
    const read = onreadOption()
    const ours = net.connect({ path, onread: read.option })
    read.attach(ours)
    try {
      await new Promise<void>((resolve, reject) => {
        ours.once('error', reject)
        ours.once('connect', () => { ours.off('error', reject); resolve() })
      })
    } catch (err) {
      ours.destroy()
      throw err
    }
    const theirs = await accepted
    return { ours, theirs }
  } finally {
    server.close()
    await rm(dir, { recursive: true, force: true })
  }
}
