"""Case allocation: the social-care model (sibling groups to social workers under weighted caps)
on the generic assignment package `workforce.gap`, solved through `workforce.mip`.

Modules, bottom up: `config` (weights, guards, solver settings), `problem` (the shared
`Problem` and `AllocationResult` types), `families` (sibling groups as decision units), `rules`
(one function per hard rule and objective term), `objective` (the table of terms and every form
derived from it), `build` (`build_problem`), `explain` (`build_result`, `explain_case`),
`baseline` (what a manager does by hand), `improve` (local search), `model` (`allocate`).

Names are resolved lazily so that importing one submodule does not import PuLP.
"""

from __future__ import annotations

from workforce.lazy import lazy_exports

_EXPORTS = {
    "allocate": "workforce.allocation.model",
    "solve_problem": "workforce.allocation.model",
    "AllocationResult": "workforce.allocation.problem",
    "Problem": "workforce.allocation.problem",
    "MODES": "workforce.allocation.problem",
    "check_mode": "workforce.allocation.problem",
    "build_problem": "workforce.allocation.build",
    "evaluate_objective": "workforce.allocation.objective",
    "TERMS": "workforce.allocation.objective",
    "HARD_RULES": "workforce.allocation.rules",
    "AllocationConfig": "workforce.allocation.config",
    "explain_case": "workforce.allocation.explain",
    "build_result": "workforce.allocation.explain",
    "baseline_allocate": "workforce.allocation.baseline",
    "baseline_assignment": "workforce.allocation.baseline",
}


__getattr__, __all__ = lazy_exports("workforce.allocation", _EXPORTS)
