"""Demand and the child's journey: a quarterly stock-and-flow model calibrated from an authority's
own history, levers on its flows, the workforce it needs, placement costs and savings against the
whole budget, and Sandwell's turnaround as a scenario (issue 12).

Start with :func:`run_demand` (calibrate and project every scenario) and
:func:`workforce_requirement` (what the recruitment plan reads). Names are resolved lazily.
"""

from __future__ import annotations

from workforce.lazy import lazy_exports

_EXPORTS = {
    "Calibration": "workforce.demand.parameters",
    "calibrate": "workforce.demand.parameters",
    "DemandAssumptions": "workforce.demand.settings",
    "Scenario": "workforce.demand.settings",
    "Investment": "workforce.demand.settings",
    "load_assumptions": "workforce.demand.settings",
    "assumptions_toml": "workforce.demand.settings",
    "LEVERS": "workforce.demand.levers",
    "LeverSet": "workforce.demand.levers",
    "STRUCTURES": "workforce.demand.workload",
    "DemandResult": "workforce.demand.run",
    "run_demand": "workforce.demand.run",
    "workforce_requirement": "workforce.demand.run",
    "demand_sheet_tables": "workforce.demand.run",
    "read_history": "workforce.demand.history",
    "run_turnaround": "workforce.demand.turnaround",
    "write_demand_workbook": "workforce.demand.workbook",
    "write_demand_files": "workforce.demand.files",
    "forecast_methods": "workforce.demand.forecasting",
}

__getattr__, __all__ = lazy_exports("workforce.demand", _EXPORTS)
