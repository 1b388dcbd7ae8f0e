"""Writing a demand run's files: the CSVs, the assumptions it used, a JSON summary, the workbook."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas as pd

from workforce.csvcells import write_csv
from workforce.demand.parameters import years_text
from workforce.demand.run import (BASELINE, DemandResult, first_year_flows, flow_mape, largest_misses, output_frames,
                                  published_in_post, scenarios_frame)
from workforce.demand.settings import assumptions_toml
from workforce.demand.workbook import write_demand_workbook

#: The files a demand run writes (name -> what it holds), in the order the README lists them.
FILES = {
    "demand.xlsx": "the workbook: Summary (scenarios side by side, charts) and one sheet per table",
    "scenarios.csv": "scenarios side by side: one row per measure, one column per scenario",
    "levers.csv": "every lever with each scenario's value and basis",
    "stocks.csv": "children at each stage at the end of each quarter, per scenario",
    "flows.csv": "children moving between stages in each quarter, per scenario",
    "required_fte.csv": "caseload points, children and required FTE by team type and quarter, per scenario",
    "handoffs.csv": "transfers, social workers per child who had one in the last four quarters, looked-after "
                    "children with 3+ social workers",
    "placements.csv": "looked-after children and cost by placement type and quarter, per scenario",
    "unit_costs.csv": "weekly placement unit costs with source and uprating",
    "budget.csv": "the budget by part per scenario, savings as a share of the whole budget",
    "parameters.csv": "every calibrated rate and judgement with range, basis and years",
    "fit.csv": "the calibration years reproduced: published against model",
    "fit_mape.csv": "mean absolute percentage error per published stock",
    "turnaround.csv": "(Sandwell scenario only) the outcome beside the case study's claims and the published figures",
    "demand_assumptions.toml": "the assumptions the run used (edit and pass back with --assumptions)",
    "demand_summary.json": "headline figures",
}


def _csv(frame: pd.DataFrame, path: Path) -> None:
    write_csv(frame, path, index=False, date_format="%Y-%m-%d")


def summary(result: DemandResult) -> dict[str, Any]:
    """Headline figures of a run (JSON-ready)."""
    budget = result.budget.set_index(["scenario", "part"])
    scen = scenarios_frame(result).set_index(["measure", "unit"])

    def fig(measure: str, unit: str, key: str) -> float:
        value = float(scen.at[(measure, unit), key])
        return round(value, 3) if np.isfinite(value) else None

    out: dict[str, Any] = {
        "authority": result.name,
        "calibration_years": years_text(result.calibration.years),
        "start": f"{result.start_year}-03-31",
        "horizon_quarters": result.horizon,
        "chosen_scenario": result.chosen,
        "fit_mape_pct": {r.measure: (round(r.mape, 2) if np.isfinite(r.mape) else None)
                         for r in result.fit_mape.itertuples(index=False)},
        "fit_flows_mape_pct": {r.measure: round(r.mape, 2) for r in flow_mape(result.fit).itertuples(index=False)},
        "fit_flows_largest_misses": _misses(largest_misses(result.fit)),
        "baseline_first_year_flows_largest_misses": _misses(largest_misses(first_year_flows(result))),
        "published_inpost_fte": None,
        "scenarios": {},
        "notes": result.notes,
    }
    inpost = published_in_post(result)
    if inpost is not None:
        out["published_inpost_fte"] = {"date": inpost[0], "fte": round(inpost[1], 1)}
    for key in result.runs:
        out["scenarios"][key] = {
            "children_in_need_change_pct": fig("change in children in need", "% since the start", key),
            "children_looked_after_change_pct": fig("change in children looked after", "% since the start", key),
            "rereferral_rate_final_year_pct": fig("re-referral rate in the final year", "% of referrals", key),
            "required_social_work_fte_start": fig("required social-work FTE at the start", "FTE", key),
            "required_social_work_fte_end": fig("required social-work FTE at the end", "FTE", key),
            "social_workers_per_child_year_end": fig("social workers per child in the final year", "workers", key),
            "net_saving_gbp": round(float(budget.at[(key, "total"), "saving_gbp"]), 0),
            "net_saving_share_of_budget": round(float(budget.at[(key, "total"), "share_of_budget"]), 4),
            "final_year_saving_share": round(float(budget.at[(key, "total"), "final_year_share"]), 4),
            "investment_gbp": round(float(budget.at[(key, "investment"), "cost_gbp"]), 0),
        }
    out["baseline"] = BASELINE
    return out


def _misses(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Largest misses as JSON: year, measure, published, model, pct_error."""
    return [{"year": int(r.year), "measure": r.measure, "published": round(float(r.published), 2),
             "model": round(float(r.model), 2), "pct_error": round(float(r.pct_error), 2)}
            for r in frame.itertuples(index=False)]


def write_demand_files(od: Any, result: DemandResult, *, turnaround: pd.DataFrame | None = None,
                       inputs: Iterable[str | Path] = (), notes: Iterable[str] = ()) -> dict[str, Any]:
    """Write every file of a demand run into the staged output folder `od`
    (:class:`workforce.outputs.OutputDir`). Returns the summary. `inputs` are the files read
    (checksums on the workbook's README sheet), `notes` extra README lines (what was read, the
    published data's licence)."""
    frames = {f"{name}.csv": frame for name, frame in output_frames(result).items()}
    if turnaround is not None:
        frames["turnaround.csv"] = turnaround
    for name, frame in frames.items():
        _csv(frame, od.path(name))
    od.path("demand_assumptions.toml").write_text(assumptions_toml(result.assumptions), encoding="utf-8")
    data = summary(result)
    od.path("demand_summary.json").write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    write_demand_workbook(od.path("demand.xlsx"), result, turnaround=turnaround, inputs=inputs, notes=notes)
    return data
