"""Answers kept per worker process: computed once per key while it lives, even when many requests
ask at once (the first computes, the others wait for it), the oldest going first past `size`."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


class FiguresCache:
    """Keys carry the tenant's code and the figures' version (hemis.reporting.service), so one
    host's answer is never another's and a newer roll-up is never hidden; `seconds` only bounds
    how long an unused answer stays."""

    def __init__(self, seconds: float, size: int = 2048) -> None:
        self.seconds = seconds
        self.size = size
        self._items: dict[Hashable, tuple[float, Any]] = {}
        self._running: dict[Hashable, asyncio.Future[Any]] = {}

    async def get(self, key: Hashable, compute: Callable[[], Awaitable[T]]) -> T:
        if self.seconds <= 0:
            return await compute()
        found = self._items.get(key)
        if found is not None and found[0] > time.monotonic():
            value: T = found[1]
            return value
        running = self._running.get(key)
        if running is not None:
            shared: T = await asyncio.shield(running)
            return shared
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._running[key] = future
        try:
            value = await compute()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: nobody waiting is not an error
            raise
        finally:
            self._running.pop(key, None)
        future.set_result(value)
        self._items.pop(key, None)
        self._items[key] = (time.monotonic() + self.seconds, value)
        while len(self._items) > self.size:
            self._items.pop(next(iter(self._items)))
        return value

    def clear(self) -> None:
        self._items.clear()
