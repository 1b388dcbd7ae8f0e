"""Case allocation: a Generalized Assignment core (PuLP + HiGHS) and the social-care model on it.

Names are resolved lazily so that importing one submodule does not import PuLP.
"""

from __future__ import annotations

from workforce.lazy import lazy_exports

_EXPORTS = {
    "solve_assignment": "workforce.allocation.core",
    "AssignmentModel": "workforce.allocation.core",
    "AssignmentResult": "workforce.allocation.core",
    "GapMatrices": "workforce.allocation.core",
    "HeuristicStart": "workforce.allocation.core",
    "heuristic_start": "workforce.allocation.core",
    "mip_neighbourhood_search": "workforce.allocation.core",
    "relative_gap": "workforce.allocation.core",
    "allocate": "workforce.allocation.model",
    "AllocationResult": "workforce.allocation.model",
    "build_problem": "workforce.allocation.model",
    "evaluate_objective": "workforce.allocation.model",
    "AllocationConfig": "workforce.allocation.config",
    "explain_case": "workforce.allocation.explain",
    "baseline_allocate": "workforce.allocation.baseline",
    "baseline_assignment": "workforce.allocation.baseline",
}


__getattr__, __all__ = lazy_exports("workforce.allocation", _EXPORTS)
