"""Numba compilation of the engine's inner loops (the tabu search's, the dispatcher's),
and their warm-up in the background."""

from __future__ import annotations

import atexit
import threading
from collections.abc import Callable
from typing import Any

from numba import njit


def compiled(function: Callable[..., Any], *, inline: bool = False, inner: bool = False) -> Any:
    """Compile a function with Numba, cached on disk where Numba has a place for its cache.

    Without one (a read-only installation and no writable user cache directory)
    it is compiled afresh in every process instead of failing. Compiled loops
    release the interpreter while they run. With ``inline``, the function is
    inlined where other compiled functions call it. With ``inner``, it is called
    only by other compiled functions: Numba builds no wrapper to call it from
    Python, which on functions of the dispatcher's large tuples of arrays is a
    sixth of their compile.
    """
    options: dict[str, Any] = {"nogil": True, "inline": "always" if inline else "never"}
    if inner:
        options.update(no_cpython_wrapper=True, no_cfunc_wrapper=True)
    try:
        return njit(cache=True, **options)(function)
    except RuntimeError:
        UNCACHED.append(f"{function.__module__}.{function.__qualname__}")
        return njit(**options)(function)


UNCACHED: list[str] = []
"""Compiled functions for which Numba found no place for its disk cache."""


EXIT_WAIT = 300.0
"""Seconds a process that ends waits at most for compiling still going on in the background."""


def in_background(run: Callable[[], None], name: str) -> threading.Thread:
    """Run ``run`` (a compiling warm-up) in a daemon thread named ``name``.

    A process that ends while it runs waits for it first (at most :data:`EXIT_WAIT`
    seconds): the interpreter tearing itself down under a thread that is still
    compiling can crash it, and the finished compile lands in Numba's cache for the
    next process.
    """
    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    atexit.register(thread.join, EXIT_WAIT)
    return thread
