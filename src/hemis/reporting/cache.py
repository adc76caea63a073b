"""A few seconds of memory for anonymous statistics: many visitors, one query per tenant and table."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


class PublicCache:
    """Per worker process: a value per key for `seconds`, at most `size` keys (the oldest go first).
    Keys carry the tenant's code, so one host's figures are never another's answer."""

    def __init__(self, seconds: float, size: int = 512) -> None:
        self.seconds = seconds
        self.size = size
        self._items: dict[Hashable, tuple[float, Any]] = {}

    async def get(self, key: Hashable, compute: Callable[[], Awaitable[T]]) -> T:
        now = time.monotonic()
        found = self._items.get(key)
        if found is not None and found[0] > now:
            value: T = found[1]
            return value
        value = await compute()
        if self.seconds > 0:
            self._items.pop(key, None)
            self._items[key] = (now + self.seconds, value)
            while len(self._items) > self.size:
                self._items.pop(next(iter(self._items)))
        return value

    def clear(self) -> None:
        self._items.clear()
