"""Workforce plans: quarterly projection, the L&D gateway plan, the recruitment plan, a Monte
Carlo over leavers, named scenarios, and the assumptions behind them all (read from a settings
file or a plan workbook by :func:`workforce.config.load_settings`).

Names are resolved lazily so that importing the package does not import PuLP or pandas.
"""

from __future__ import annotations

from workforce.lazy import lazy_exports

_EXPORTS = {
    "Assumptions": "workforce.plans.assumptions",
    "Programme": "workforce.plans.assumptions",
    "assumptions_frame": "workforce.plans.assumptions",
    "assumptions_from_frame": "workforce.plans.assumptions",
    "assumptions_from_sections": "workforce.plans.assumptions",
    "build_plan": "workforce.plans.planner",
    "PlanResult": "workforce.plans.planner",
    "compare_scenarios": "workforce.plans.scenarios",
    "scenario_assumptions": "workforce.plans.scenarios",
    "SCENARIOS": "workforce.plans.scenarios",
}


__getattr__, __all__ = lazy_exports("workforce.plans", _EXPORTS)
