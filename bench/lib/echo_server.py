# The anchor for bench/suites/tcp-echo.mjs --anchors: CPython asyncio's Protocol echo (or
# uvloop's, given `uvloop`), speaking the same stdin/stdout lines as echo-server.mjs:
# `PORT <n>`; `mark`; `report` -> `REPORT {"cpu_us": .., "wall_ms": .., "max_rss_kib": ..}`.
# `--unix=PATH`: on that Unix socket (loop.create_unix_server), printing `PORT 0`.
import asyncio
import json
import resource
import sys
import time


class Echo(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.transport.write(data)

    def pause_writing(self):
        self.transport.pause_reading()

    def resume_writing(self):
        self.transport.resume_reading()


def cpu_us():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return (ru.ru_utime + ru.ru_stime) * 1e6


async def main():
    loop = asyncio.get_running_loop()
    unix = next((a[7:] for a in sys.argv if a.startswith('--unix=')), None)
    if unix is not None:
        server = await loop.create_unix_server(Echo, unix, backlog=511)
        port = 0
    else:
        server = await loop.create_server(Echo, '127.0.0.1', 0, backlog=511)
        port = server.sockets[0].getsockname()[1]
    state = {'cpu': cpu_us(), 't': time.monotonic()}
    done = loop.create_future()

    def on_stdin():
        line = sys.stdin.readline()
        if line == '':
            loop.remove_reader(sys.stdin.fileno())
            done.set_result(None)
        elif line.strip() == 'mark':
            state['cpu'] = cpu_us()
            state['t'] = time.monotonic()
        elif line.strip() == 'report':
            report = {
                'cpu_us': cpu_us() - state['cpu'],
                'wall_ms': (time.monotonic() - state['t']) * 1000,
                'max_rss_kib': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            }
            print('REPORT ' + json.dumps(report), flush=True)

    loop.add_reader(sys.stdin.fileno(), on_stdin)
    print(f'PORT {port}', flush=True)
    await done
    server.close()


if __name__ == '__main__':
    if len(sys.argv) > 1 and sys.argv[1] == 'uvloop':
        import uvloop
        uvloop.run(main())
    else:
        asyncio.run(main())
