"""Numba compilation of the engine's inner loops (the tabu search's, the dispatcher's)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from numba import njit


def compiled(function: Callable[..., Any], *, inline: bool = False) -> Any:
    """Compile a function with Numba, cached on disk where Numba has a place for its cache.

    Without one (a read-only installation and no writable user cache directory)
    it is compiled afresh in every process instead of failing. Compiled loops
    release the interpreter while they run. With ``inline``, the function is
    inlined where other compiled functions call it.
    """
    options: dict[str, Any] = {"nogil": True, "inline": "always" if inline else "never"}
    try:
        return njit(cache=True, **options)(function)
    except RuntimeError:
        return njit(**options)(function)
