"""CPU-bound work (canonicalization, signing, verification) off the event loop.

One shared, bounded thread pool for the whole process: several apps in one loop (``satchel demo``)
share it, so a burst of verifications cannot start an unbounded number of threads, and a slow
document delays only the requests waiting for a worker, never the loop itself.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

MAX_WORKERS = max(2, min(4, os.cpu_count() or 2))

_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None


def cpu_executor() -> ThreadPoolExecutor:
    """The shared pool, created on first use."""
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=MAX_WORKERS, thread_name_prefix="webbase-cpu")
        return _executor


def shutdown_cpu_executor() -> None:
    """Stop the pool (the runner calls this on exit; a later ``run_cpu`` makes a new one)."""
    global _executor
    with _lock:
        executor, _executor = _executor, None
    if executor is not None:
        executor.shutdown(wait=True, cancel_futures=True)


async def run_cpu(func: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """``await run_cpu(sign, doc, signer=s)`` runs ``sign(doc, signer=s)`` in the shared pool.

    The caller's context variables travel with the call, as with ``asyncio.to_thread``.
    """
    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()
    call = functools.partial(context.run, func, *args, **kwargs)
    return await loop.run_in_executor(cpu_executor(), call)
