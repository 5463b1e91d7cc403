// One client's measurement for bench/suites/redis.mjs, in a process of its own:
//
//   node bench/lib/redis-client-run.mjs <wireline | ioredis-pipeline | ioredis-auto> <port> <depth> <value bytes> <warmup ms> <ms>
//
// Runs batches of `depth` commands (SET k v and GET k alternating, over 1000 keys), each batch
// pipelined and awaited whole, for `warmup` ms and then `ms` ms measured, and prints
// `RESULT {"ops": ..., "seconds": ..., "cpu_us": ...}` (this process's own CPU time over the
// measured window). Variants: the wireline example client (`Promise.all` of `call()`s: it
// writes what one tick issued together), ioredis's `pipeline().exec()`, and ioredis with
// `enableAutoPipelining` (`Promise.all` of plain commands). Values come back as Buffers in all
// three (`getBuffer` for ioredis), so no variant pays for decoding that another skips.
import { performance } from 'node:perf_hooks'
import Redis from 'ioredis'
import { RedisClient } from '../../packages/examples/dist/redis/client.js'

const [variant, portArg, depthArg, sizeArg, warmupArg, msArg] = process.argv.slice(2)
const port = Number(portArg)
const depth = Number(depthArg)
const value = 'v'.repeat(Number(sizeArg))
const keys = Array.from({ length: 1000 }, (_, i) => `key:${i}`)

let batch
let close
if (variant === 'wireline') {
  const client = await RedisClient.connect('127.0.0.1', port)
  batch = (start) => {
    const replies = []
    for (let i = 0; i < depth; i += 2) {
      const k = keys[(start + i) % 1000]
      replies.push(client.call('SET', k, value), client.call('GET', k))
    }
    return Promise.all(replies)
  }
  close = () => client.quit()
} else {
  const redis = new Redis({ host: '127.0.0.1', port, enableAutoPipelining: variant === 'ioredis-auto', lazyConnect: true })
  await redis.connect()
  batch = variant === 'ioredis-pipeline'
    ? async (start) => {
      const p = redis.pipeline()
      for (let i = 0; i < depth; i += 2) {
        const k = keys[(start + i) % 1000]
        p.set(k, value)
        p.getBuffer(k)
      }
      const out = await p.exec()
      return out.map(([err, r]) => { if (err) throw err; return r })
    }
    : (start) => {
      const replies = []
      for (let i = 0; i < depth; i += 2) {
        const k = keys[(start + i) % 1000]
        replies.push(redis.set(k, value), redis.getBuffer(k))
      }
      return Promise.all(replies)
    }
  close = () => redis.quit()
}

async function loop (ms) {
  let ops = 0
  const end = performance.now() + ms
  while (performance.now() < end) {
    const replies = await batch(ops)
    if (replies.length !== depth || replies[1].length !== value.length) throw new Error(`${variant}: wrong replies`)
    ops += depth
  }
  return ops
}

await loop(Number(warmupArg))
const cpu0 = process.cpuUsage()
const t0 = performance.now()
const ops = await loop(Number(msArg))
const seconds = (performance.now() - t0) / 1000
const cpu = process.cpuUsage(cpu0)
console.log(`RESULT ${JSON.stringify({ ops, seconds, cpu_us: cpu.user + cpu.system })}`)
await close()
