"""The Generalized Assignment Problem: give each item to one eligible agent within capacity, at
least cost. A generic package (no domain words): the PuLP model (`model.py`), numpy heuristics
(`heuristics.py`), LP-based and MIP-based search with `solve_assignment` (`search.py`) and the
reader of the public benchmark instances (`instances.py`). Solving goes through `workforce.mip`.

Names are resolved lazily so that importing one submodule does not import PuLP.
"""

from __future__ import annotations

from workforce.lazy import lazy_exports

_EXPORTS = {
    "AssignmentModel": "workforce.gap.model",
    "AssignmentResult": "workforce.gap.model",
    "GapMatrices": "workforce.gap.search",
    "HeuristicStart": "workforce.gap.search",
    "LpRelaxation": "workforce.gap.search",
    "heuristic_start": "workforce.gap.search",
    "kernel_search": "workforce.gap.search",
    "mip_neighbourhood_search": "workforce.gap.search",
    "solve_assignment": "workforce.gap.search",
    "GapInstance": "workforce.gap.instances",
    "read_gap_instance": "workforce.gap.instances",
    "read_gap_collection": "workforce.gap.instances",
    "relative_gap": "workforce.mip",
    "OPTIMAL_GAP": "workforce.mip",
}


__getattr__, __all__ = lazy_exports("workforce.gap", _EXPORTS)
