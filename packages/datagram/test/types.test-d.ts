// Type tests, checked by `pnpm typecheck` (tsc): the public signatures users rely on.
import type * as dgram from 'node:dgram'
import { expectTypeOf } from 'vitest'
import { DatagramProtocol, createDatagramEndpoint } from '../src/index.js'
import type { BaseTransport, DatagramAddress, DatagramTransport } from '../src/index.js'

declare const t: DatagramTransport

// extra info is typed for UDP
expectTypeOf(t.getExtraInfo('socket')).toEqualTypeOf<dgram.Socket | undefined>()
expectTypeOf(t.getExtraInfo('sockname')).toEqualTypeOf<DatagramAddress | undefined>()
expectTypeOf(t.getExtraInfo('peername', null)).toEqualTypeOf<DatagramAddress | null>()
expectTypeOf(t.getExtraInfo('anything-else')).toEqualTypeOf<unknown>()

// a DatagramTransport is a BaseTransport; addresses are [host, port]
expectTypeOf<DatagramTransport>().toExtend<BaseTransport>()
expectTypeOf(t.getWriteBufferLimits()).toEqualTypeOf<[low: number, high: number]>()
expectTypeOf(t.sendto).parameter(1).toEqualTypeOf<DatagramAddress | null | undefined>()

// the factory's protocol type comes back, class or plain object; every callback is optional
class Echo extends DatagramProtocol {
  override datagramReceived (_data: Uint8Array, _addr: DatagramAddress): void {}
}
expectTypeOf(createDatagramEndpoint(() => new Echo(), { localAddr: ['127.0.0.1', 0] }))
  .toEqualTypeOf<Promise<[DatagramTransport, Echo]>>()
const plain = { datagramReceived (_d: Uint8Array, _a: DatagramAddress) {} }
expectTypeOf(createDatagramEndpoint(() => plain, { family: 6 })).toEqualTypeOf<Promise<[DatagramTransport, typeof plain]>>()

// @ts-expect-error an address is [host, port], not a string
void createDatagramEndpoint(() => plain, { localAddr: '127.0.0.1:0' })
// @ts-expect-error family is 4 or 6
void createDatagramEndpoint(() => plain, { family: 5 })
// @ts-expect-error sendto needs bytes or a string
t.sendto(42)
