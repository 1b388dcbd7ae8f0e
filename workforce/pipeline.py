"""The whole mission in one run: validate, train and audit the churn model, score the workforce,
rebalance caseloads with risk-aware allocation, plan L&D and recruitment with Monte Carlo bands,
and write the planner's workbook and every CSV.

`run_demo` does it on the built-in demo authority; `run_pipeline` on an authority's own files
named in a settings file (:func:`workforce.config.load_settings`, `[run]` section). Both stage
every output through :class:`workforce.outputs.OutputDir`, so a failure or Ctrl-C leaves nothing
half-written. The closing summary, `summary.json` and the workbook's Summary sheet show one list
of :class:`workforce.indicators.Indicator`, computed once.

The stages' own modules (PuLP, scikit-learn, openpyxl) are imported when a stage runs: the
allocate and plan commands import this module for its file writers and should not pay for the
others.
"""

from __future__ import annotations

import json
import time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterator

import pandas as pd

from workforce.allocation.config import AllocationConfig
from workforce.config import RunSettings, Settings, write_plan_settings
from workforce.errors import InputError
from workforce.indicators import (Indicator, allocation_indicators, indicators_json, plan_indicators, render,
                                  risk_indicators, workforce_size)
from workforce.plans.assumptions import Assumptions

ALLOCATION_SECONDS = 20.0  # demo budget: the whole demo must finish in about a minute on 2 cores
QUICK_ALLOCATION_SECONDS = 8.0
CARD_SOURCE = "Model card (risk.xlsx)"


@dataclass(frozen=True)
class DemoSettings:
    """Options of `workforce demo`."""

    seed: int = 0
    quick: bool = False  # smaller CV and solver budgets, for smoke tests


@dataclass
class RunInputs:
    """What a run has read: the typed tables, and the files they came from (for checksums)."""

    workers: pd.DataFrame
    cases: pd.DataFrame
    history: pd.DataFrame | None = None
    risk: pd.DataFrame | None = None
    files: list[Path] = field(default_factory=list)


class Stages:
    """Prints each stage with its time, on stderr, so stdout keeps the closing summary."""

    def __init__(self, total: int) -> None:
        from rich.console import Console

        self.console = Console(stderr=True, highlight=False)
        self.total = total
        self.number = 0
        self.timings: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        self.number += 1
        label = f"[{self.number}/{self.total}] {name}"
        began = time.perf_counter()
        with self.console.status(label + " ..."):
            yield
        seconds = time.perf_counter() - began
        self.timings[name] = seconds
        self.console.print(f"{label}: done in {seconds:.1f} s")


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False, date_format="%Y-%m-%d")


def _write_json(data: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")


@dataclass
class PipelineOutputs:
    """The headline indicators, file locations and stage timings for the closing summary."""

    out: Path
    indicators: list[Indicator] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    def summary(self, **extra: Any) -> dict[str, Any]:
        """What `summary.json` holds: the indicators (with definitions and bands), timings, `extra`."""
        return {**indicators_json(self.indicators), "timings_seconds": self.timings, **extra}

    def report(self) -> str:
        """The closing summary printed on the terminal."""
        lines = [f"workforce: finished in {sum(self.timings.values()):.1f} s; outputs in {self.out}", ""]
        lines += render(self.indicators)
        lines += ["", "  (each figure's definition: summary.json and the workbook's Summary sheet)", "", "files:"]
        for name, what in self.files.items():
            lines.append(f"  {str(self.out / name):<44} {what}")
        return "\n".join(lines)


#: The allocation's CSV outputs, by file name (the attribute of `AllocationResult` each comes from).
ALLOCATION_CSVS = {"allocations.csv": "allocations", "worker_loads.csv": "worker_loads",
                   "unallocated.csv": "unallocated", "changes.csv": "changes", "team_summary.csv": "team_summary",
                   "existing_issues.csv": "issues", "explanations.csv": "explanations"}


def write_allocation_files(od, result, *, inputs: list[Path], config: AllocationConfig | None = None,
                           summary_name: str = "summary.json", produced_by: str = "workforce allocate") -> None:
    """Every allocation output into the staging folder `od` (used by `allocate` and the pipeline).
    The summary's figures depend on the inputs, settings and seed only; the seconds each stage
    took are its separate ``timings`` field.

    Parameters
    ----------
    od : OutputDir
        The staging folder.
    result : AllocationResult
        The allocation.
    inputs : list of Path
        Input files, listed with checksums in the workbook.
    config : AllocationConfig, optional
        The settings used (shown on the workbook's Assumptions sheet).
    summary_name : str
        Name of the allocation summary JSON.
    produced_by : str
        The command named in the workbook's README.
    """
    from workforce.excel.workbooks import write_allocation_workbook

    for name, attr in ALLOCATION_CSVS.items():
        _write_csv(getattr(result, attr), od.path(name))
    _write_json({**result.summary, "timings": result.timings}, od.path(summary_name))
    write_allocation_workbook(od.path("allocation.xlsx"), summary=result.summary, allocations=result.allocations,
                              worker_loads=result.worker_loads, unallocated=result.unallocated,
                              changes=result.changes,
                              settings=dict(config.settings_rows()) if config is not None else None,
                              rules=config.rules if config is not None else None, inputs=inputs,
                              produced_by=produced_by)


def read_explanations(run: Path) -> pd.DataFrame:
    """The explanations an allocation wrote (``explanations.csv`` in its output folder).

    Raises
    ------
    InputError
        When the folder holds no allocation's explanations.
    """
    path = Path(run) / "explanations.csv"
    if not path.is_file():
        raise InputError("no explanations.csv here: not the output folder of an allocation run", file=str(run))
    return pd.read_csv(path, dtype={"case_id": str, "family_id": str, "worker_id": str, "previous_worker_id": str,
                                    "runner_up": str}, keep_default_na=False, na_values=[""])


def write_plan_files(od, plan, scenarios: pd.DataFrame, indicators: list[Indicator], *,
                     summary_name: str = "summary.json") -> None:
    """Every plan CSV, its summary and the settings used into `od`; the workbook is the caller's,
    since `plan` and the pipeline put different sheets in it.

    Parameters
    ----------
    od : OutputDir
        The staging folder.
    plan : PlanResult
        The plan.
    scenarios : DataFrame
        The scenario comparison.
    indicators : list of Indicator
        The headline figures shown with the plan; written into the summary (`headline`,
        `indicators`) beside the plan's own figures.
    summary_name : str
        Name of the plan summary JSON.
    """
    for name, frame in {
        "projection.csv": plan.projection, "gateway_plan.csv": plan.gateway,
        "gateway_programmes.csv": plan.gateway_programmes, "recruitment_plan.csv": plan.recruitment,
        "recruitment_totals.csv": plan.recruitment_totals, "montecarlo.csv": plan.montecarlo,
        "scenarios.csv": scenarios,
    }.items():
        _write_csv(frame, od.path(name))
    _write_json({**plan.summary, **indicators_json(indicators)}, od.path(summary_name))
    write_plan_settings(plan.assumptions, od.path("assumptions.toml"))


def risk_register_or_none(risk: pd.DataFrame | None) -> pd.DataFrame | None:
    """The risk table when it can be shown as a register (scored, with bands), else None."""
    return risk if risk is not None and {"worker_id", "p_leave", "band"} <= set(risk.columns) else None


def plan_headline(plan) -> list[Indicator]:
    """The plan's headline indicators (:func:`workforce.indicators.plan_indicators` on its frames)."""
    return plan_indicators(plan.summary, totals=plan.recruitment_totals, projection=plan.projection,
                           gateway=plan.gateway)


def with_model_horizon(assumptions: Assumptions, horizon_months: int) -> Assumptions:
    """The plan reads each p_leave as the chance of leaving within the churn model's horizon."""
    if assumptions.projection.risk_horizon_months == horizon_months:
        return assumptions
    return assumptions.with_values({"projection.risk_horizon_months": horizon_months},
                                   basis="[DERIVED] the horizon of the churn model that scored the risk")


def _analyse(od, stages: Stages, data: RunInputs, settings: Settings, *, quick: bool,
             produced_by: str) -> PipelineOutputs:
    """Stages after the inputs are loaded; shared by the demo and `workforce run`."""
    from workforce.allocation.model import allocate
    from workforce.excel.workbooks import write_planner_workbook, write_risk_register
    from workforce.plans.planner import build_plan
    from workforce.plans.scenarios import compare_scenarios
    from workforce.retention.model import score, team_risk, train
    from workforce.retention.persistence import load_model, save_model

    run = settings.run or RunSettings()
    result = PipelineOutputs(out=od.target)
    files = result.files
    fairness = model = None
    risk_table = data.risk
    assumptions = settings.plans
    if risk_table is None:
        if run.model is not None:
            with stages.stage("Loading the churn model"):
                model = load_model(run.model)
        else:
            if data.history is None:
                raise InputError("needs hr_history (to train a churn model), a model or a risk table", column="inputs")
            with stages.stage("Training, calibrating and auditing the churn model"):
                model, fairness = train(data.history, horizon_months=run.churn_horizon_months, seed=run.seed,
                                        use_protected=run.use_protected, n_splits=3 if quick else 5,
                                        n_repeats=1 if quick else 3)
                save_model(model, od.path("model/model_card.json").parent)
                _write_csv(fairness, od.path("model/fairness.csv"))
                files["model/"] = "churn model (model.joblib), its card (model_card.json) and fairness audit"
        assumptions = with_model_horizon(assumptions, model.horizon_months)
        with stages.stage("Scoring the workforce"):
            risk_table = score(model, data.workers, data.cases, history=data.history)
            teams = team_risk(risk_table)
            _write_csv(risk_table, od.path("risk.csv"))
            _write_csv(teams, od.path("team_risk.csv"))
            risk_indicators_now = risk_indicators(risk_table, data.workers, card=model.card,
                                                  horizon_months=model.horizon_months)
            write_risk_register(od.path("risk.xlsx"), risk=risk_table, team_risk=teams, fairness=fairness,
                                card=model.card, indicators=risk_indicators_now, inputs=data.files,
                                produced_by=produced_by)
            files["risk.csv"] = "each worker's chance of leaving within 12 months, band and top drivers"
            files["risk.xlsx"] = "the risk register with RAG bands"
    allocation = settings.allocation
    if quick:
        allocation = replace(allocation, time_limit=min(allocation.time_limit or QUICK_ALLOCATION_SECONDS,
                                                        QUICK_ALLOCATION_SECONDS))
    with stages.stage(f"Allocating caseloads ({run.allocation_mode}, risk-aware)"):
        alloc = allocate(data.workers, data.cases, mode=run.allocation_mode, leavers=run.leavers, risk=risk_table,
                         config=allocation)
        write_allocation_files(od, alloc, inputs=data.files, config=allocation,
                               summary_name="allocation_summary.json", produced_by=produced_by)
        files["allocation.xlsx"] = "allocation: summary, allocations, worker loads, unallocated, changes"
        files["allocations.csv"] = "one row per child: worker, previous worker, points, cost terms"
        files["explanations.csv"] = "one row per child: why they are where they are (workforce explain reads it)"
    with stages.stage("Planning L&D, recruitment and Monte Carlo bands"):
        plan = build_plan(data.workers, data.cases, risk_table, assumptions, seed=run.seed)
        scenarios = compare_scenarios(data.workers, data.cases, risk_table, assumptions, seed=run.seed)
        write_plan_files(od, plan, scenarios, plan_headline(plan), summary_name="plan_summary.json")
        files["projection.csv"] = "quarterly demand and supply by team"
        files["recruitment_plan.csv"] = "hires, newly qualified intake and agency cover by quarter"
    horizon = model.horizon_months if model is not None else assumptions.projection.risk_horizon_months
    result.indicators = [
        *workforce_size(data.workers, data.cases),
        *risk_indicators(risk_table, data.workers, card=model.card if model is not None else None,
                         horizon_months=horizon, card_source=CARD_SOURCE),
        *allocation_indicators(alloc.summary, alloc.worker_loads, rules=allocation.rules),
        *plan_headline(plan),
    ]
    with stages.stage("Writing the planner's workbook"):
        write_planner_workbook(
            od.path("workforce_plan.xlsx"), assumptions=plan.assumptions_frame, risk=risk_register_or_none(risk_table),
            gateway=plan.gateway, gateway_programmes=plan.gateway_programmes, recruitment=plan.recruitment,
            recruitment_totals=plan.recruitment_totals, projection=plan.projection, montecarlo=plan.montecarlo,
            worker_loads=alloc.worker_loads, allocation_summary=alloc.summary, plan_summary=plan.summary,
            fairness=fairness, indicators=result.indicators, produced_by=produced_by, inputs=data.files,
        )
        files["workforce_plan.xlsx"] = "the HR planner's workbook (edit Assumptions, re-run with --assumptions)"
    result.timings = stages.timings
    return result


def run_demo(out: str | Path, settings: DemoSettings = DemoSettings(), *, force: bool = False) -> str:
    """Generate the demo authority and run every stage.

    Parameters
    ----------
    out : str or Path
        The output folder (written all at once, only on success).
    settings : DemoSettings
        Seed and the quick (smoke-test) budgets.
    force : bool
        Replace files in `out` that workforce did not write or that were edited since.

    Returns
    -------
    str
        The closing summary.
    """
    from workforce.contracts import load_cases, load_hr_history, load_workers
    from workforce.demo import generate_authority, write_authority
    from workforce.outputs import OutputDir

    out = Path(out)
    stages = Stages(total=7)
    run = Settings(allocation=AllocationConfig(time_limit=ALLOCATION_SECONDS), run=RunSettings(seed=settings.seed))
    with OutputDir(out, force=force) as od:
        with stages.stage("Generating the demo authority"):
            authority = generate_authority(seed=settings.seed)
            folder = od.path("inputs/workers.csv").parent
            write_authority(authority, folder, xlsx=False)
        with stages.stage("Validating the inputs"):
            # Read back what was written, exactly as an authority's own files would be read.
            workers = load_workers(folder / "workers.csv")
            cases = load_cases(folder / "cases.csv", workers)
            history = load_hr_history(folder / "hr_history.csv")
            od.path("inputs/validation.txt").write_text(
                f"workers.csv: {len(workers)} rows, valid\ncases.csv: {len(cases)} rows, valid\n"
                f"hr_history.csv: {len(history)} rows, valid\n", encoding="utf-8")
        outputs = _analyse(od, stages, RunInputs(workers, cases, history), run, quick=settings.quick,
                           produced_by="workforce demo")
        outputs.files = {"inputs/": "the demo authority (workers, cases, hr_history; truth.csv is the generator's truth)", **outputs.files}
        _write_json(outputs.summary(seed=settings.seed), od.path("summary.json"))
    return outputs.report()


def run_pipeline(settings: Settings, *, force: bool = False) -> str:
    """Every stage on an authority's own files, as its settings' `[run]` section names them.

    Parameters
    ----------
    settings : Settings
        From :func:`workforce.config.load_settings` (``need_run=True``).
    force : bool
        Replace files in the output folder that workforce did not write or that were edited since.

    Returns
    -------
    str
        The closing summary.

    Raises
    ------
    InputError
        The settings have no `[run]` section, or an input is bad (nothing is written).
    """
    from workforce.contracts import load_cases, load_hr_history, load_risk, load_workers
    from workforce.outputs import OutputDir

    run = settings.run
    if run is None or run.out is None or run.workers is None or run.cases is None:
        raise InputError("the settings have no [run] section naming the inputs and the output folder",
                         file=settings.source)
    trains = run.hr_history is not None and run.model is None and run.risk is None
    stages = Stages(total=6 + trains)
    with OutputDir(run.out, inputs=run.inputs, force=force) as od:
        with stages.stage("Validating the inputs"):
            workers = load_workers(run.workers)
            cases = load_cases(run.cases, workers)
            history = load_hr_history(run.hr_history) if run.hr_history else None
            risk = load_risk(run.risk) if run.risk is not None else None
        outputs = _analyse(od, stages, RunInputs(workers, cases, history, risk, run.inputs), settings, quick=False,
                           produced_by="workforce run")
        _write_json(outputs.summary(seed=run.seed), od.path("summary.json"))
    return outputs.report()
