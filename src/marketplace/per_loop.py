"""One object per event loop, for work a web process shares among its requests (services/waitlist_lines.py's
numbering, services/waitlist_joins.py's groups): made on first use in the app's loop (tests run several
loops), each with a connection of its own (`engine`, db.side_engine) that `close` disposes at the app's
shutdown."""

import asyncio
import weakref
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar


class _HasEngine(Protocol):
    engine: object | None


T = TypeVar("T", bound=_HasEngine)


class PerLoop(Generic[T]):
    def __init__(self, make: Callable[[], T]) -> None:
        self.make = make
        self.made: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, T] = weakref.WeakKeyDictionary()

    def get(self) -> T:
        loop = asyncio.get_running_loop()
        if loop not in self.made:
            self.made[loop] = self.make()
        return self.made[loop]

    async def close(self) -> None:
        """Dispose of this loop's object's connection, if it opened one."""
        made = self.made.pop(asyncio.get_running_loop(), None)
        if made is not None and made.engine is not None:
            await made.engine.dispose()
