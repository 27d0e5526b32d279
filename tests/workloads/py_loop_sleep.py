"""An asyncio loop whose reader callback calls time.sleep: a blocking call on the loop thread,
made from Python code. Used to check that stacks name the Python function and line."""
import asyncio
import socket
import time


def sleepy_handler(sock):
    sock.recv(64)
    time.sleep(0.03)  # the blocking call on the loop


async def main(rounds):
    r, w = socket.socketpair()
    r.setblocking(False)
    loop = asyncio.get_running_loop()
    for _ in range(rounds):
        done = loop.create_future()

        def on_readable():
            sleepy_handler(r)
            if not done.done():
                done.set_result(None)

        loop.add_reader(r, on_readable)
        w.send(b"x")
        await done
        loop.remove_reader(r)
        await asyncio.sleep(0.005)


asyncio.run(main(12))
