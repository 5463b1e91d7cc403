import { configDefaults, defineConfig } from 'vitest/config'
import { sharedProject } from '../../vitest.shared.js'

// Two projects. On loopback the kernel takes every UDP datagram at once (it drops at the
// receiver instead), so libuv's send queue never fills and a send is never queued. The
// `queued sends` project runs its tests with Node's test switch --test-udp-no-try-send, which
// skips the immediate send and puts every datagram through libuv's queue: the state a busy
// network interface puts a socket in, with real sockets all the same.
export default defineConfig({
  test: {
    projects: [
      {
        ...sharedProject,
        test: {
          ...sharedProject.test,
          name: '@wireline/datagram',
          exclude: [...configDefaults.exclude, 'test/queued/**'],
        },
      },
      {
        ...sharedProject,
        test: {
          ...sharedProject.test,
          name: '@wireline/datagram (queued sends)',
          include: ['test/queued/**/*.test.ts'],
          execArgv: ['--test-udp-no-try-send'],
        },
      },
    ],
  },
})
