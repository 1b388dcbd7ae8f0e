"""Lazy package exports: `from workforce.plans import build_plan` without importing every
submodule (and PuLP or scikit-learn) when the package itself is imported."""

from __future__ import annotations

import importlib
from typing import Any, Callable, Mapping


def lazy_exports(package: str, exports: Mapping[str, str]) -> tuple[Callable[[str], Any], list[str]]:
    """A module `__getattr__` resolving each name in `exports` (name -> module) on first use,
    and the matching `__all__`."""

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(module), name)

    return __getattr__, sorted(exports)
