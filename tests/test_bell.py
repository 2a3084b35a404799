"""The store's bell wakes waiting streams at once when rung from another thread, and
otherwise lets them time out (to poll the database)."""

from __future__ import annotations

import asyncio
import threading
import time

from hotline.adapters.bell import Bell


def test_ring_from_another_thread_wakes_the_waiter_at_once() -> None:
    bell = Bell()

    async def main() -> tuple[bool, float]:
        t0 = time.perf_counter()
        threading.Timer(0.05, bell.ring, args=(["blue"],)).start()
        woke = await bell.wait("blue", 5.0)
        return woke, time.perf_counter() - t0

    woke, waited = asyncio.run(main())
    assert woke and waited < 4.0  # woken by the ring, not by the 5 s timeout


def test_without_a_ring_the_wait_times_out() -> None:
    bell = Bell()

    async def main() -> bool:
        return await bell.wait("blue", 0.05)

    assert asyncio.run(main()) is False
    bell.ring(["blue"])  # no waiters left: nothing to do, no error


def test_a_ring_wakes_every_waiter_of_those_parties_only() -> None:
    bell = Bell()

    async def main() -> list[bool]:
        blue = [asyncio.create_task(bell.wait("blue", 5.0)) for _ in range(3)]
        red = asyncio.create_task(bell.wait("red", 0.3))
        await asyncio.sleep(0.05)
        threading.Thread(target=bell.ring, args=(["blue", "civil"],)).start()
        return list(await asyncio.gather(*blue, red))

    assert asyncio.run(main()) == [True, True, True, False]


def test_a_ring_during_the_read_wakes_the_next_wait() -> None:
    """A stream clears, reads the database, then waits: a commit that rang while it was
    reading must wake that wait at once (a one-shot wait registered after the read missed
    it and slept until the poll timeout)."""
    bell = Bell()

    async def main() -> tuple[bool, bool, float]:
        with bell.listen("blue") as ears:
            ears.clear()
            ringer = threading.Thread(target=bell.ring, args=(["blue"],))
            ringer.start()  # the commit, while we "read"
            await asyncio.sleep(0.05)
            ringer.join()
            t0 = time.perf_counter()
            woke = await ears.wait(5.0)
            waited = time.perf_counter() - t0
            ears.clear()  # read again: nothing new rang since
            quiet = await ears.wait(0.05)
        return woke, quiet, waited

    woke, quiet, waited = asyncio.run(main())
    assert woke and waited < 1.0 and not quiet
    bell.ring(["blue"])  # the listener left with its block: nothing to wake, no error
