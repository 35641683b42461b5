"""CPU work beside the main process: a fork pool for pure functions (validation, scoring).

The importer validates rows in worker processes while it seals and writes (decision 0022);
the data-quality metrics check decrypted values the same way while the gate opens the next
chunk. Workers are forked after Django and the validators' tables are loaded, never touch
the database (they leave through `os._exit`, so inherited connections are not closed by
them), and receive values through a pipe in memory: nothing is written to disk there."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections.abc import Callable, Iterator
from typing import Any, Protocol

LARGE = 20_000  # below this many items a pool's start-up costs more than it saves


class Result(Protocol):
    def get(self) -> Any: ...


class _Done:
    def __init__(self, value: Any) -> None:
        self.value = value

    def get(self) -> Any:
        return self.value


def spare(items: int) -> int:
    """Worker processes worth starting for `items` items: one per spare core (at most 3),
    none for small jobs or where `fork` does not exist."""
    if items < LARGE or "fork" not in multiprocessing.get_all_start_methods():
        return 0
    return min(3, max(1, (os.cpu_count() or 1) - 1))


@contextlib.contextmanager
def offload(
    workers: int, preload: Callable[[], None] | None = None
) -> Iterator[Callable[..., Result]]:
    """`submit(fn, *args)` → a result with `.get()`: run in a worker when `workers` > 0,
    else at once in this process. `preload` runs once before the fork (tables every worker
    would otherwise build for itself). Callers bound what is in flight (2 per worker)."""
    if workers <= 0:
        yield lambda fn, *args: _Done(fn(*args))
        return
    if preload is not None:
        preload()
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        yield lambda fn, *args: pool.apply_async(fn, args)
