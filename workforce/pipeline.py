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
import os
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

import pandas as pd

from workforce.allocation.config import AllocationConfig
from workforce.config import SALT_ENV, DemandSettings, RunSettings, Settings, write_plan_settings
from workforce.csvcells import write_csv
from workforce.errors import InputError, InputWarning, Problem
from workforce.indicators import (Indicator, allocation_indicators, indicators_json, plan_indicators, render,
                                  risk_indicators, workforce_size)
from workforce.plans.assumptions import Assumptions

if TYPE_CHECKING:  # the stages' own modules are imported when a stage runs (module docstring)
    from workforce.plan_demand import PlanDemand
    from workforce.published.benchmark import Benchmark
    from workforce.published.store import Published

ALLOCATION_SECONDS = 240.0  # demo budget: enough for the rebalance to finish on one thread (40-60 s on the
# 2-core development machine; 75 s on one half as fast, 114 s there with the test suite beside it), so the
# demo shows an answer proven near its bound and the same on every machine; the limit only stops a very
# slow machine early, and the summary then says so
QUICK_ALLOCATION_SECONDS = 8.0
CARD_SOURCE = "Model card (risk.xlsx)"


@dataclass(frozen=True)
class DemoSettings:
    """Options of `workforce demo`."""

    seed: int = 0
    quick: bool = False  # smaller CV and solver budgets, for smoke tests
    demand_scenario: str | None = None  # the demand scenario the plan follows (default: baseline)
    profile: str = "default"  # the demo authority: `default` (England's middle) or `sandwell` (Sandwell 2018)


@dataclass
class RunInputs:
    """What a run has read: the typed tables, and the files they came from (for checksums)."""

    workers: pd.DataFrame
    cases: pd.DataFrame
    history: pd.DataFrame | None = None
    risk: pd.DataFrame | None = None
    files: list[Path] = field(default_factory=list)
    establishment: pd.DataFrame | None = None  # funded FTE (by team and role where known)


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
    write_csv(frame, path, index=False, date_format="%Y-%m-%d")


def _write_json(data: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")


@dataclass
class PipelineOutputs:
    """The headline indicators, file locations and stage timings for the closing summary."""

    out: Path
    indicators: list[Indicator] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # what the console must say beside the figures

    def summary(self, **extra: Any) -> dict[str, Any]:
        """What `summary.json` holds: the indicators (with definitions and bands), timings, `extra`."""
        return {**indicators_json(self.indicators), "timings_seconds": self.timings, **extra}

    def report(self) -> str:
        """The closing summary printed on the terminal."""
        out = Path(os.path.normpath(self.out))  # shown without "examples/../": the same folder, as read
        lines = [f"workforce: finished in {sum(self.timings.values()):.1f} s; outputs in {out}", ""]
        lines += [f"note: {note}" for note in self.notes]
        lines += render(self.indicators)
        lines += ["", "  (each figure's definition: summary.json and the workbook's Summary sheet)", "", "files:"]
        for name, what in self.files.items():
            lines.append(f"  {str(out / name):<44} {what}")
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
    from workforce.config import ALLOCATION_SETTINGS, allocation_settings_frame, allocation_settings_toml
    from workforce.allocation.summary_items import item_notes
    from workforce.excel.workbooks import allocation_workbook_indicators, write_allocation_workbook
    from workforce.indicators import allocation_status

    for name, attr in ALLOCATION_CSVS.items():
        _write_csv(getattr(result, attr), od.path(name))
    _write_json({**result.summary, "timings": result.timings}, od.path(summary_name))
    if config is not None:  # the settings used, to edit and pass back with --config
        od.path(ALLOCATION_SETTINGS).write_text(allocation_settings_toml(config), encoding="utf-8")
    rules = config.rules if config is not None else None
    # the figures the workbook shows, traced to its sheets: the Summary items they read take their definitions
    headline = allocation_workbook_indicators(result.summary, result.worker_loads, rules)
    shown = [*allocation_status(result.summary), *headline]
    write_allocation_workbook(od.path("allocation.xlsx"), summary=result.summary, allocations=result.allocations,
                              worker_loads=result.worker_loads, unallocated=result.unallocated,
                              changes=result.changes,
                              settings=allocation_settings_frame(config) if config is not None else None,
                              rules=rules, inputs=inputs, produced_by=produced_by,
                              notes=item_notes(result.summary, shown, config), indicators=headline)


def read_explanations(run: Path) -> pd.DataFrame:
    """The explanations an allocation wrote (``explanations.csv`` in its output folder).

    Raises
    ------
    InputError
        When the folder holds no allocation's explanations.
    """
    from workforce.readers import read_written_csv

    path = Path(run) / "explanations.csv"
    if not path.is_file():
        raise InputError("no explanations.csv here: not the output folder of an allocation run", file=str(run))
    frame = read_written_csv(path, dtype={"case_id": str, "family_id": str, "worker_id": str,
                                          "previous_worker_id": str, "runner_up": str},
                             keep_default_na=False, na_values=[""])
    check_explanation_columns(frame, path)
    return frame


EXPLANATION_COLUMNS = ("case_id", "outcome", "worker_id", "children_after", "max_children", "complex_after",
                       "max_complex", "points_after", "capacity_points")


def check_explanation_columns(frame: pd.DataFrame, path: Path) -> None:
    """The columns an explanation is built from must be there: a cut-down or edited
    explanations.csv is named with what it lacks, not read as a child nobody allocated."""
    missing = [c for c in EXPLANATION_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(f"is not an allocation's explanations: no column {', '.join(missing)}", file=path,
                         allowed="the explanations.csv an allocation wrote (allocate, demo or run)")


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
    from workforce.indicators import census_days
    from workforce.plans.census_measures import DEFINITIONS

    for name, frame in {
        "projection.csv": plan.projection, "gateway_plan.csv": plan.gateway,
        "gateway_programmes.csv": plan.gateway_programmes, "recruitment_plan.csv": plan.recruitment,
        "recruitment_totals.csv": plan.recruitment_totals, "montecarlo.csv": plan.montecarlo,
        "census_measures.csv": plan.census, "trajectories.csv": plan.trajectories, "leaving.csv": plan.leaving,
        "unit_costs.csv": plan.unit_costs, "scenarios.csv": scenarios,
    }.items():
        _write_csv(frame, od.path(name))
    days = census_days(plan.census)
    _write_json({**plan.summary, "census_definitions": DEFINITIONS,
                 "census_days": json.loads(days.to_json(orient="records", date_format="iso")),
                 "trajectories": json.loads(plan.trajectories.to_json(orient="records")),
                 **indicators_json(indicators)}, od.path(summary_name))
    write_plan_settings(plan.assumptions, od.path("assumptions.toml"))


def risk_register_or_none(risk: pd.DataFrame | None) -> pd.DataFrame | None:
    """The risk table when it can be shown as a register (scored, with bands), else None."""
    return risk if risk is not None and {"worker_id", "p_leave", "band"} <= set(risk.columns) else None


def plan_headline(plan) -> list[Indicator]:
    """The plan's headline indicators (:func:`workforce.indicators.plan_indicators` on its frames)."""
    from workforce.plans.census_measures import DEFINITIONS

    return plan_indicators(plan.summary, totals=plan.recruitment_totals, projection=plan.projection,
                           gateway=plan.gateway, census=plan.census, trajectories=plan.trajectories,
                           definitions=DEFINITIONS)


def plan_hazards(model, workers: pd.DataFrame, cases: pd.DataFrame, history: pd.DataFrame | None,
                 assumptions: Assumptions) -> pd.DataFrame:
    """The churn model's quarterly hazards from the plan's first day, for the reasons it was
    trained on (a reason with no leavers in the training history is left to the authority's
    observed rate)."""
    from workforce.plans.projection import plan_start_date
    from workforce.retention.model import predict_hazards

    start = plan_start_date(assumptions, workers, cases)
    hazards = predict_hazards(model, workers, cases, as_of=start, history=history,
                              quarters=assumptions.projection.horizon_quarters)
    trained = (model.card.get("rows") or {}).get("leavers_by_reason") or {}
    return hazards[hazards["reason"].map(lambda r: trained.get(r, 1) > 0)].reset_index(drop=True)


def plan_scores(model, workers: pd.DataFrame, cases: pd.DataFrame, history: pd.DataFrame | None,
                assumptions: Assumptions) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The risk register and the quarterly hazards (:func:`plan_hazards`), both from the plan's
    first day.

    One date for both, so that a worker's 12-month chance in the register is the first four
    quarters of the hazards the team forecasts (`team_risk.csv`, `team_leavers.csv`) and the plan
    read. Scored on the data's own date, a day or a quarter before the plan starts, the register's
    tenure was younger and its chances disagreed with the team and plan figures.

    Parameters
    ----------
    model : ChurnModel
        The churn model.
    workers, cases : DataFrame
        The typed workers and cases tables.
    history : DataFrame, optional
        Recent `hr_history` for team turnover.
    assumptions : Assumptions
        The plan's assumptions (its start date and horizon).

    Returns
    -------
    (DataFrame, DataFrame)
        The risk register (:func:`workforce.retention.model.score`) and the tidy hazards.
    """
    from workforce.plans.projection import plan_start_date
    from workforce.retention.model import score

    start = plan_start_date(assumptions, workers, cases)
    risk = score(model, workers, cases, as_of=start, history=history)
    return risk, plan_hazards(model, workers, cases, history, assumptions)


def with_model_horizon(assumptions: Assumptions, horizon_months: int) -> Assumptions:
    """The plan reads each p_leave as the chance of leaving within the churn model's horizon."""
    if assumptions.projection.risk_horizon_months == horizon_months:
        return assumptions
    return assumptions.with_values({"projection.risk_horizon_months": horizon_months},
                                   basis="[DERIVED] the horizon of the churn model that scored the risk")


@dataclass
class Evidence:
    """What a plan draws on beyond its own tables: the demand model its demand follows, and the
    published benchmark its trajectory is drawn against (`comparator`: a published authority
    set beside a plan that is not its own, as for the demo)."""

    demand: PlanDemand | None = None
    bench: Benchmark | None = None
    comparator: bool = False

    @property
    def requirement(self) -> pd.DataFrame | None:
        return self.demand.requirement if self.demand is not None else None

    def summary(self) -> dict[str, Any]:
        """What `summary.json` says of them: the demand run's source and scenario, the benchmark's
        authority (empty when neither was used)."""
        out: dict[str, Any] = {}
        if self.demand is not None:
            cal = self.demand.result.calibration
            out["demand"] = {"source": self.demand.source, "scenario": self.demand.scenario,
                             "scenarios": list(self.demand.result.runs), "calibration_years": cal.years,
                             "sheet": "Demand"}
        if self.bench is not None:
            out["benchmarks"] = {"la_code": self.bench.la_code, "la_name": self.bench.la_name,
                                 "comparator": self.comparator, "sheet": "Benchmarks"}
        return out


def read_evidence(pub: Published, *, la: str | None, demand: DemandSettings | None, workers: pd.DataFrame,
                  cases: pd.DataFrame, plans: Assumptions, history: pd.DataFrame | None = None,
                  source: str | None = None, name: str | None = None, comparator: bool = False) -> Evidence:
    """The demand run and the benchmark of a plan (`la` and `demand` may each be None).

    Parameters
    ----------
    pub : Published
        The published statistics.
    la : str, optional
        The authority (or comparator) whose neighbours the plan is drawn against.
    demand : DemandSettings, optional
        Where the plan's demand comes from.
    workers, cases : DataFrame
        The plan's inputs.
    plans : Assumptions
        The plan's assumptions (capacity model and salaries for the demand model).
    history, source, name : optional
        A demand history already in hand (the demo's) and how to name it.
    comparator : bool
        `la` is a comparator, not the plan's own authority.
    """
    from workforce.plan_demand import plan_demand
    from workforce.published.benchmark import benchmark

    found = Evidence(comparator=comparator)
    if demand is not None:
        found.demand = plan_demand(demand, pub, workers=workers, cases=cases, plan=plans, history=history,
                                   source=source, name=name)
    if la is not None:
        found.bench = benchmark(pub, la)
    return found


def with_plan_quarters(requirement: pd.DataFrame, start_date: str) -> pd.DataFrame:
    """The demand model's requirement with the plan's calendar beside its own: the model counts
    quarters from the last published year (`quarter_end`, 31 March), its quarter 0 scaled to
    today's cases; the plan takes the model's change over k quarters as its own quarter k, counted
    from its first day (`plan_quarter_end`: the day before the start for quarter 0)."""
    start = pd.Timestamp(start_date)
    ends = {q: (start + pd.DateOffset(months=3 * int(q)) - pd.Timedelta(days=1)).date().isoformat()
            for q in requirement["quarter"].unique()}
    out = requirement.copy()
    out.insert(out.columns.get_loc("quarter_end") + 1 if "quarter_end" in out else 1, "plan_quarter_end",
               out["quarter"].map(ends))
    return out


def demand_cost_reconciliation(d, plan, workers: pd.DataFrame) -> pd.DataFrame:
    """The walk from the Demand sheet's social-work staff line to the plan's workforce cost
    (:func:`workforce.plans.reconcile.cost_reconciliation`) for a plan that follows the demand
    run `d` (:class:`workforce.plan_demand.PlanDemand`)."""
    from workforce.plan_demand import staff_cost_in_plan_year
    from workforce.plans.reconcile import cost_reconciliation

    da = d.result.assumptions
    return cost_reconciliation(d.requirement, plan.recruitment_totals, plan.projection, plan.assumptions,
                               staff_cost_per_fte=float(da.budget.cost_per_fte_gbp), staff_year=int(da.price_year),
                               staff_cost_per_fte_plan_year=staff_cost_in_plan_year(da, workers, plan.assumptions))


def add_reconciliation_sheet(book, walk: pd.DataFrame) -> None:
    """The Cost reconciliation sheet: the walk as one table, each column's note on its header. Its
    own sheet, after Demand: its two ends are on different sheets (Demand, Recruitment plan) and a
    finance officer ticks it as one working paper."""
    from workforce.excel.tables import TableSpec
    from workforce.plans.reconcile import RECONCILIATION_NOTES

    book.add_table_sheet("Cost reconciliation", [TableSpec(walk, "Cost_reconciliation", comments=RECONCILIATION_NOTES,
                                                           formats={"fte": "float"})],
                         "the Demand sheet's social-work staff line (required FTE at the role mix's pay, the demand "
                         "model's price year) walked to the plan's workforce cost (every post, agency at day rates, "
                         "recruitment and L&D, the plan's price year), final year, in named steps that add up: the "
                         "last row checks it (0)")


def evidence_outputs(od, evidence: Evidence, plan, workers: pd.DataFrame, cases: pd.DataFrame,
                     files: dict[str, str]) -> list[Callable]:
    """Write the demand and benchmark CSVs (and the demand assumptions used) into `od`, list
    them in `files`, and return the workbook sheets they add (for `write_planner_workbook`)."""
    from workforce.demand.run import scenarios_frame
    from workforce.demand.settings import assumptions_toml
    from workforce.demand.workbook import add_demand_sheet
    from workforce.plan_benchmark import (PlanBenchmark, add_benchmarks_sheet, benchmark_frames, plan_trajectory,
                                          trajectory_notes)
    from workforce.plan_demand import DEMAND_NOTES

    sheets: list[Callable] = []
    d = evidence.demand
    if d is not None:
        result = d.result
        _write_csv(scenarios_frame(result), od.path("demand_scenarios.csv"))
        _write_csv(with_plan_quarters(d.requirement, plan.summary["start_date"]), od.path("demand_required_fte.csv"))
        # without [caseload]: the plan's capacity model is its own settings' (assumptions.toml), and
        # --demand-assumptions refuses a second one
        used = replace(result.assumptions, caseload={})
        od.path("demand_assumptions.toml").write_text(assumptions_toml(used), encoding="utf-8")
        files["demand_required_fte.csv"] = (f"caseload points, children and FTE by team type the plan's demand follows "
                                            f"(scenario {result.chosen}; plan_quarter_end: the plan quarter each model "
                                            "quarter stands for); demand_assumptions.toml: levers to edit")
        sheets.append(lambda book: add_demand_sheet(book, result, source=d.source, agreement=d.agreement,
                                                    notes=DEMAND_NOTES, plan_start=plan.summary["start_date"]))
        walk = demand_cost_reconciliation(d, plan, workers)
        _write_csv(walk, od.path("cost_reconciliation.csv"))
        files["cost_reconciliation.csv"] = ("the Demand sheet's social-work staff line walked to the plan's workforce "
                                            "cost, final year, step by step (Cost reconciliation sheet)")
        sheets.append(lambda book: add_reconciliation_sheet(book, walk))
    if evidence.bench is not None:
        trajectory = plan_trajectory(plan)
        pb = PlanBenchmark(evidence.bench, trajectory, evidence.comparator, notes=trajectory_notes())
        long = pd.concat([f.melt(id_vars=["year", "date"], var_name="series").assign(measure=m)
                          for m, f in benchmark_frames(pb.bench, trajectory, comparator=pb.comparator).items()])
        _write_csv(long.dropna(subset=["value"])[["measure", "year", "date", "series", "value"]],
                   od.path("benchmarks.csv"))
        files["benchmarks.csv"] = (f"the plan's agency, vacancy, turnover and caseload beside the published years of "
                                   f"{pb.bench.la_name} ({pb.bench.la_code}), its neighbours, region and England")
        sheets.append(lambda book: add_benchmarks_sheet(book, pb))
    return sheets


def _analyse(od, stages: Stages, data: RunInputs, settings: Settings, *, quick: bool,
             produced_by: str, evidence: Evidence | None = None) -> PipelineOutputs:
    """Stages after the inputs are loaded; shared by the demo and `workforce run`."""
    from workforce.allocation.model import allocate
    from workforce.audit import decision_audit
    from workforce.demand.run import start_adjustment_note
    from workforce.excel.workbooks import write_planner_workbook, write_risk_register
    from workforce.plans.planner import build_plan
    from workforce.plans.scenarios import compare_scenarios
    from workforce.retention.model import team_leavers, team_risk, train
    from workforce.retention.persistence import FAIRNESS_FILE, load_model, save_model

    run = settings.run or RunSettings()
    result = PipelineOutputs(out=od.target)
    files = result.files
    fairness = model = hazards = None
    risk_table = data.risk
    assumptions = settings.plans
    if risk_table is None:
        if run.model is not None:
            with stages.stage("Loading the churn model"):
                model = load_model(run.model)
                result.notes.extend(f"churn model: {w}" for w in model.card.get("warnings", []))
        else:
            if data.history is None:
                raise InputError("needs hr_history (to train a churn model), a model or a risk table", column="inputs")
            with stages.stage("Training, calibrating and auditing the churn model"):
                try:
                    model, fairness = train(data.history, horizon_months=run.churn_horizon_months, seed=run.seed,
                                            use_protected=run.use_protected, n_splits=3 if quick else 5,
                                            n_repeats=1 if quick else 3)
                except InputError as exc:  # too little history to train on: name the file it came from
                    if run.hr_history is None:
                        raise
                    raise InputError(problems=[p if p.file else replace(p, file=str(run.hr_history))
                                               for p in exc.problems]) from None
                save_model(model, od.path("model/model_card.json").parent)
                _write_csv(fairness, od.path(f"model/{FAIRNESS_FILE}"))
                result.notes.extend(f"churn model: {w}" for w in model.card.get("warnings", []))
                files["model/"] = "churn model (model.joblib), its card (model_card.json) and fairness audit"
        assumptions = with_model_horizon(assumptions, model.horizon_months)
        with stages.stage("Scoring the workforce"):
            risk_table, hazards = plan_scores(model, data.workers, data.cases, data.history, assumptions)
            teams = team_risk(risk_table, hazards)
            _write_csv(risk_table, od.path("risk.csv"))
            _write_csv(teams, od.path("team_risk.csv"))
            _write_csv(team_leavers(hazards), od.path("team_leavers.csv"))
            files["team_leavers.csv"] = "expected leavers by team, quarter and reason over the 12 quarters (no replacements)"
            _write_csv(hazards, od.path("hazards.csv"))
            files["hazards.csv"] = ("each worker's chance of leaving in each of the 12 quarters, by reason (hazard: if "
                                    "still in post at its start; cumulative_incidence: left for that reason by its end)")
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
        # a leaver not in the workers is the settings' [run] leavers', said as such (the allocation
        # would name its command-line option --leaver, which a run has not got)
        known = set(data.workers["worker_id"].astype(str))
        unknown = [x for x in run.leavers if x.strip() not in known]
        if unknown:
            raise InputError(problems=[Problem(settings.source, f"[run] leavers: unknown leaver worker_id(s): "
                                               f"{', '.join(unknown)}", None, None, "worker IDs from the workers table")])
        alloc = allocate(data.workers, data.cases, mode=run.allocation_mode, leavers=run.leavers,
                         risk=risk_table, config=allocation)
        write_allocation_files(od, alloc, inputs=data.files, config=allocation,
                               summary_name="allocation_summary.json", produced_by=produced_by)
        files["allocation.xlsx"] = "allocation: summary, allocations, worker loads, unallocated, changes"
        files["allocations.csv"] = ("one row per child with a worker: priority, worker, previous worker, points, cost terms "
                                    "(children waiting are on unallocated.csv)")
        files["worker_loads.csv"] = "each worker's children and points against their caps, and why anyone is left over"
        files["unallocated.csv"] = "children waiting, highest priority first, with who holds them meanwhile"
        files["changes.csv"] = ("every child whose worker changes, and why: children left without one first, with who "
                                "holds them meanwhile")
        files["explanations.csv"] = "one row per child: why they are where they are (workforce explain reads it)"
    with stages.stage("Planning L&D, recruitment and Monte Carlo bands"):
        evidence = evidence or Evidence()
        inputs = {"demand": evidence.requirement, "history": data.history, "establishment": data.establishment,
                  "hazards": hazards}
        plan = build_plan(data.workers, data.cases, risk_table, assumptions, seed=run.seed, **inputs)
        scenarios = compare_scenarios(data.workers, data.cases, risk_table, assumptions, seed=run.seed, **inputs)
        write_plan_files(od, plan, scenarios, plan_headline(plan), summary_name="plan_summary.json")
        adjusted = start_adjustment_note(evidence.demand.result) if evidence.demand is not None else None
        for note in [*alloc.summary.get("risk_notes", []), *plan.summary.get("risk_notes", []),
                     *([adjusted] if adjusted else [])]:
            if note not in result.notes:
                result.notes.append(note)
        decided = decision_audit(data.workers, plan.leaving["p_voluntary"], plan.gateway, alloc.worker_loads)
        if len(decided):
            fairness = decided if fairness is None else pd.concat([fairness, decided], ignore_index=True)
            _write_csv(decided, od.path("decision_fairness.csv"))
            files["decision_fairness.csv"] = "L&D places and caseload relief by protected group, for the same flight risk"
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
        sheets = evidence_outputs(od, evidence, plan, data.workers, data.cases, files)
        write_planner_workbook(
            od.path("workforce_plan.xlsx"), assumptions=plan.assumptions_frame, risk=risk_register_or_none(risk_table),
            gateway=plan.gateway, gateway_programmes=plan.gateway_programmes, recruitment=plan.recruitment,
            recruitment_totals=plan.recruitment_totals, projection=plan.projection, montecarlo=plan.montecarlo,
            census=plan.census, trajectories=plan.trajectories, unit_costs=plan.unit_costs,
            worker_loads=alloc.worker_loads, allocation_summary=alloc.summary, plan_summary=plan.summary,
            fairness=fairness, indicators=result.indicators, produced_by=produced_by, inputs=data.files,
            more_sheets=sheets,
        )
        files["workforce_plan.xlsx"] = ("the HR planner's workbook (edit Assumptions, then re-plan with the same "
                                         "inputs: `workforce run` naming it as [run.inputs] assumptions)")
    result.timings = stages.timings
    return result


def demo_evidence(od, workers: pd.DataFrame, cases: pd.DataFrame, as_of: pd.Timestamp, plans: Assumptions,
                  scenario: str | None = None) -> Evidence:
    """The demo's demand run and benchmark: a demand history that agrees with its cases (Sandwell's
    published history scaled to the demo's open cases by stage, :func:`workforce.plan_demand.demo_history`,
    written as ``inputs/demand_history.csv``), and Sandwell's statistical neighbours as the stated
    comparator (the demo has no published figures of its own)."""
    from workforce.plan_demand import DEMO_COMPARATOR, demo_history, starting_agreement
    from workforce.published import read_published

    pub = read_published()
    dh = demo_history(cases, pub, la=DEMO_COMPARATOR, as_of=as_of)
    _write_csv(dh.frame.reset_index(), od.path("inputs/demand_history.csv"))
    evidence = read_evidence(pub, la=DEMO_COMPARATOR, demand=DemandSettings(scenario=scenario), workers=workers,
                             cases=cases, plans=plans, history=dh.frame, source=dh.source, name="the demo authority",
                             comparator=True)
    evidence.demand.agreement = starting_agreement(evidence.demand.result, cases)
    return evidence


def demo_establishment(folder: Path) -> pd.DataFrame | None:
    """The demo's funded posts (``establishment.csv`` beside its workers), read as `workforce run`
    reads an authority's (`contracts.load_establishment`: validated, the text marks `write_csv`
    put taken off), so a team's name matches the workers'; None when the folder has none."""
    from workforce.contracts import load_establishment

    funded = Path(folder) / "establishment.csv"
    return load_establishment(funded) if funded.is_file() else None


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
    stages = Stages(total=8)
    run = Settings(allocation=AllocationConfig(time_limit=ALLOCATION_SECONDS), run=RunSettings(seed=settings.seed))
    with OutputDir(out, force=force) as od:
        with stages.stage("Generating the demo authority"):
            authority = generate_authority(seed=settings.seed, profile=settings.profile)
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
        with stages.stage("Calibrating the demand model and reading the benchmarks"):
            evidence = demo_evidence(od, workers, cases, authority.as_of, run.plans, settings.demand_scenario)
        establishment = demo_establishment(folder)
        outputs = _analyse(od, stages, RunInputs(workers, cases, history, establishment=establishment), run,
                           quick=settings.quick, produced_by="workforce demo", evidence=evidence)
        outputs.files = {"inputs/": "the demo authority (workers, cases, hr_history, demand_history; truth.csv is the "
                                    "generator's truth)", **outputs.files}
        _write_json(outputs.summary(seed=settings.seed, profile=settings.profile, **evidence.summary()), od.path("summary.json"))
    return outputs.report()


@dataclass
class CensusInputs:
    """What a run takes from the census returns (:func:`census_inputs`): the tables it wrote into
    the output folder (``census/workers.csv``, ``census/hr_history.csv``), to be read back and
    validated as an authority's own files are, the plan assumptions with the returns' values, and
    the protected characteristics the returns give (`workers_protected`, `history_protected`),
    kept in memory for the fairness audit (:func:`with_protected`) and never written."""

    workers: Path
    hr_history: Path
    assumptions: Assumptions
    files: list[Path]
    workers_protected: pd.DataFrame | None = None
    history_protected: pd.DataFrame | None = None


#: The keys that join a table's protected characteristics back to it.
WORKER_KEY, HISTORY_KEY = ["worker_id"], ["snapshot_date", "worker_id"]


def split_protected(frame: pd.DataFrame, keys: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The table without its protected characteristics, and `keys` with them.

    The run's ``census/`` files record what the returns gave the plan; age band, gender and
    ethnicity are there only for the fairness audit (and, on opt-in, the churn model's features),
    which reads them in memory, so they are left out of files a planner shares.

    Parameters
    ----------
    frame : DataFrame
        A table holding any of `workforce.contracts.PROTECTED`.
    keys : list of str
        Columns that identify a row (:data:`WORKER_KEY`, :data:`HISTORY_KEY`).

    Returns
    -------
    (DataFrame, DataFrame)
        `frame` without the protected columns; `keys` and the protected columns.
    """
    from workforce.contracts import PROTECTED

    present = [c for c in PROTECTED if c in frame.columns]
    return frame.drop(columns=present), frame[[*keys, *present]].copy()


def with_protected(typed: pd.DataFrame, protected: pd.DataFrame | None, keys: list[str]) -> pd.DataFrame:
    """`typed` (read back from the file :func:`split_protected` left them out of) with its
    protected characteristics again, row for row, for the fairness audit.

    Raises
    ------
    pandas.errors.MergeError
        `keys` do not identify one row of each (a bug: the census tables are keyed so).
    """
    if protected is None or protected.shape[1] == len(keys):
        return typed
    joined = typed.merge(protected, on=keys, how="left", validate="one_to_one")
    for column in protected.columns.difference(keys):
        joined[column] = joined[column].fillna("").astype(str)
    return joined


def census_inputs(od, run: RunSettings, assumptions: Assumptions) -> CensusInputs:
    """Planning inputs from a folder of yearly census returns (`[run.inputs] census_returns`).

    `hr_history` from every year (linked by the salted SWE number), `workers` from the latest
    (with the roster's worker IDs, teams and localities), the funded establishment (in post plus
    `LALevelVacancies`) and the values the returns give the plans (pay from the 2025 fields, the
    DfE turnover) through :func:`workforce.census.planning.plan_inputs`; the values that name a
    plan assumption the settings leave at its default set it, with their basis. Writes
    ``census/`` into the staging folder `od`: the two tables (without the protected
    characteristics, which the result carries in memory: :func:`split_protected`), ``establishment.csv``,
    ``values.csv`` (with what became of each), ``problems.csv`` and ``cases_check.csv`` when the
    cases name workers.

    Raises
    ------
    InputError
        No salt (``[run.census] salt`` or the environment variable ``WORKFORCE_CSWW_SALT``), or
        unusable returns or roster.
    """
    from workforce.census.planning import plan_inputs, with_census_values
    from workforce.contracts import to_csv_frame

    salt = run.census_salt or os.environ.get(SALT_ENV)
    if not salt:
        raise InputError(f"census returns need a salt for the pseudonymous worker IDs (a secret kept between runs, "
                         f"so the same worker keeps the same ID): set [run.census] salt, or the environment variable "
                         f"{SALT_ENV}", file=run.config_path or "", column="[run.census] salt")
    census = plan_inputs(run.census_returns, salt=salt, roster=run.roster)
    summary = census.census_import.summary
    warnings.warn(InputWarning(f"census returns: {'; '.join(summary.lines()[:2])}; problems: census/problems.csv"),
                  stacklevel=2)
    if run.roster is None:
        warnings.warn(InputWarning("census returns without a roster: workers are known by pseudonym, in team and "
                                   "locality 'unknown', so no case can name its worker ([run.inputs] roster links "
                                   "them to the case system)"), stacklevel=2)
    elif census.roster_unmatched:
        warnings.warn(InputWarning(f"{census.roster_unmatched} census workers in post are not in the roster: they "
                                   "keep a pseudonym and team 'unknown'"), stacklevel=2)
    if census.roster_not_in_post:
        # the workers table is the latest return's staff in post: a case naming anyone else is
        # refused as naming an unknown worker, so say who and why before the cases are checked
        ids = census.roster_not_in_post
        named = ", ".join(ids[:10]) + (f" and {len(ids) - 10} more" if len(ids) > 10 else "")
        warnings.warn(InputWarning(f"{len(ids)} roster worker{'s' if len(ids) != 1 else ''} not in post at the latest "
                                   f"census ({named}): the workers table comes from that return, so a case naming "
                                   "one of them is refused; give those children to a worker in post, or check the "
                                   "worker's census record"), stacklevel=2)
    plans, values = with_census_values(assumptions, census.values)
    workers, history = od.path("census/workers.csv"), od.path("census/hr_history.csv")
    workers_shared, workers_protected = split_protected(census.workers, WORKER_KEY)
    history_shared, history_protected = split_protected(census.hr_history, HISTORY_KEY)
    write_csv(to_csv_frame(workers_shared), workers, index=False)
    write_csv(to_csv_frame(history_shared), history, index=False, float_format="%.6g")
    _write_csv(census.establishment, od.path("census/establishment.csv"))
    _write_csv(values, od.path("census/values.csv"))
    _write_csv(census.census_import.problems_table(), od.path("census/problems.csv"))
    return CensusInputs(workers, history, plans, _files(run.census_returns) + ([run.roster] if run.roster else []),
                        workers_protected, history_protected)


def _files(path: Path) -> list[Path]:
    return sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]


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
    from workforce.census.planning import cases_check
    from workforce.contracts import load_cases, load_establishment, load_hr_history, load_risk, load_workers
    from workforce.outputs import OutputDir
    from workforce.published import read_published

    run = settings.run
    if run is None or run.out is None or (run.workers is None and run.census_returns is None) or run.cases is None:
        raise InputError("the settings have no [run] section naming the inputs and the output folder",
                         file=settings.source)
    census = run.census_returns is not None
    published = run.la is not None or run.demand is not None
    trains = (run.hr_history is not None or census) and run.model is None and run.risk is None
    stages = Stages(total=6 + trains + census + published)
    files = list(run.inputs)
    with OutputDir(run.out, inputs=run.inputs, force=force) as od:
        workers_file, history_file = run.workers, run.hr_history
        got = None
        if census:
            with stages.stage("Reading the census returns"):
                got = census_inputs(od, run, settings.plans)
                workers_file, history_file = got.workers, got.hr_history
                settings = replace(settings, plans=got.assumptions)
                files = [f for f in files if f != run.census_returns] + got.files
        with stages.stage("Validating the inputs"):
            workers = load_workers(workers_file)
            cases = load_cases(run.cases, workers)
            history = load_hr_history(history_file) if history_file else None
            if got is not None:  # the census's protected characteristics: in memory, for the fairness audit
                workers = with_protected(workers, got.workers_protected, WORKER_KEY)
                history = with_protected(history, got.history_protected, HISTORY_KEY)
            risk = load_risk(run.risk) if run.risk is not None else None
            establishment = load_establishment(run.establishment) if run.establishment is not None else None
            if census:
                counted = workers.assign(census_cases=pd.to_numeric(workers["census_cases"], errors="coerce"))
                _write_csv(cases_check(counted, cases), od.path("census/cases_check.csv"))
        evidence = None
        if published:
            with stages.stage("Calibrating the demand model and reading the benchmarks"):
                pub = read_published(run.published_data)
                evidence = read_evidence(pub, la=run.la, demand=run.demand, workers=workers, cases=cases,
                                         plans=settings.plans)
        outputs = _analyse(od, stages, RunInputs(workers, cases, history, risk, files, establishment), settings,
                           quick=False, produced_by="workforce run", evidence=evidence)
        if census:
            outputs.files = {"census/": "what the census returns gave (no protected characteristics): workers, hr_history, establishment, the values "
                             "the plan used (values.csv), problems and the case counts beside the case system's",
                             **outputs.files}
        _write_json(outputs.summary(seed=run.seed, **(evidence.summary() if evidence else {})), od.path("summary.json"))
    return outputs.report()
