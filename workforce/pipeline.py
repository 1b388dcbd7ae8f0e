"""The whole mission in one run: validate, train and audit the churn model, score the workforce,
rebalance caseloads with risk-aware allocation, plan L&D and recruitment with Monte Carlo bands,
and write the planner's workbook and every CSV.

`run_demo` does it on the built-in demo authority; `run_pipeline` on an authority's own files
named in a TOML config (`load_run_config`). Both stage every output through
:class:`workforce.outputs.OutputDir`, so a failure or Ctrl-C leaves nothing half-written.
"""

from __future__ import annotations

import json
import time
import tomllib
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import pandas as pd

from workforce.errors import InputError

ALLOCATION_SECONDS = 20.0  # demo budget: the whole demo must finish in about a minute on 2 cores


@dataclass(frozen=True)
class DemoSettings:
    """Options of `workforce demo`."""

    seed: int = 0
    quick: bool = False  # smaller CV and solver budgets, for smoke tests


@dataclass
class RunSettings:
    """What `workforce run CONFIG.toml` names. Paths are resolved against the config's folder."""

    out: Path
    workers: Path
    cases: Path
    hr_history: Path | None = None
    model: Path | None = None
    risk: Path | None = None
    assumptions: Path | None = None
    seed: int = 0
    allocation_mode: str = "rebalance"
    leavers: tuple[str, ...] = ()
    time_limit: float = 30.0
    horizon_months: int = 12
    use_protected: bool = False
    config_path: Path | None = None

    @property
    def inputs(self) -> list[Path]:
        files = [self.workers, self.cases, self.hr_history, self.risk, self.assumptions, self.config_path]
        return [p for p in files if p is not None]


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
    """Headline figures and file locations for the closing summary."""

    out: Path
    headline: dict[str, Any] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    def report(self) -> str:
        h = self.headline
        lines = [f"workforce: finished in {sum(self.timings.values()):.1f} s; outputs in {self.out}", ""]
        for key, value in h.items():
            lines.append(f"  {key:<44} {value}")
        lines.append("")
        lines.append("files:")
        for name, what in self.files.items():
            lines.append(f"  {str(self.out / name):<44} {what}")
        return "\n".join(lines)


#: The allocation's CSV outputs, by file name (the attribute of `AllocationResult` each comes from).
ALLOCATION_CSVS = {"allocations.csv": "allocations", "worker_loads.csv": "worker_loads",
                   "unallocated.csv": "unallocated", "changes.csv": "changes", "team_summary.csv": "team_summary",
                   "existing_issues.csv": "issues", "explanations.csv": "explanations"}


def write_allocation_files(od, result, *, inputs: list[Path], config=None,
                           summary_name: str = "summary.json") -> None:
    """Every allocation output into the staging folder `od` (used by `allocate` and the pipeline).
    The summary's figures depend on the inputs, settings and seed only; the seconds each stage
    took are its separate ``timings`` field."""
    from workforce.excel.workbooks import write_allocation_workbook

    for name, attr in ALLOCATION_CSVS.items():
        _write_csv(getattr(result, attr), od.path(name))
    _write_json({**result.summary, "timings": result.timings}, od.path(summary_name))
    write_allocation_workbook(od.path("allocation.xlsx"), summary=result.summary, allocations=result.allocations,
                              worker_loads=result.worker_loads, unallocated=result.unallocated,
                              changes=result.changes,
                              settings=dict(config.settings_rows()) if config is not None else None, inputs=inputs)


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


def write_plan_files(od, plan, scenarios: pd.DataFrame, *, summary_name: str = "summary.json") -> None:
    """Every plan CSV, its summary and the assumptions used (TOML) into `od`; the workbook is the
    caller's, since `plan` and the pipeline put different sheets in it."""
    from workforce.plans.assumptions import write_assumptions_toml

    for name, frame in {
        "projection.csv": plan.projection, "gateway_plan.csv": plan.gateway,
        "gateway_programmes.csv": plan.gateway_programmes, "recruitment_plan.csv": plan.recruitment,
        "recruitment_totals.csv": plan.recruitment_totals, "montecarlo.csv": plan.montecarlo,
        "scenarios.csv": scenarios,
    }.items():
        _write_csv(frame, od.path(name))
    _write_json(plan.summary, od.path(summary_name))
    write_assumptions_toml(plan.assumptions, od.path("assumptions.toml"))


def risk_register_or_none(risk: pd.DataFrame | None) -> pd.DataFrame | None:
    """The risk table when it can be shown as a register (scored, with bands), else None."""
    return risk if risk is not None and {"worker_id", "p_leave", "band"} <= set(risk.columns) else None


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def _gbp(x: float | None) -> str:
    return "n/a" if x is None else f"£{x:,.0f}"


def _analyse(
    od,
    stages: Stages,
    *,
    workers: pd.DataFrame,
    cases: pd.DataFrame,
    history: pd.DataFrame | None,
    model_dir: Path | None,
    risk_table: pd.DataFrame | None,
    assumptions,
    seed: int,
    mode: str,
    leavers: tuple[str, ...],
    time_limit: float,
    horizon_months: int,
    use_protected: bool,
    quick: bool,
    inputs: list[Path],
) -> PipelineOutputs:
    """Stages after the inputs are loaded; shared by the demo and `workforce run`."""
    from workforce.allocation.model import allocate
    from workforce.excel.workbooks import write_planner_workbook, write_risk_register
    from workforce.plans.planner import build_plan
    from workforce.plans.scenarios import compare_scenarios
    from workforce.retention.model import score, team_risk, train
    from workforce.retention.persistence import load_model, save_model

    result = PipelineOutputs(out=od.target)
    files = result.files
    fairness = None
    model = None
    if risk_table is None:
        if model_dir is not None:
            with stages.stage("Loading the churn model"):
                model = load_model(model_dir)
        else:
            if history is None:
                raise InputError("needs hr_history (to train a churn model), a model or a risk table", column="inputs")
            with stages.stage("Training, calibrating and auditing the churn model"):
                model, fairness = train(
                    history,
                    horizon_months=horizon_months,
                    seed=seed,
                    use_protected=use_protected,
                    n_splits=3 if quick else 5,
                    n_repeats=1 if quick else 3,
                )
                save_model(model, od.path("model/model_card.json").parent)
                _write_csv(fairness, od.path("model/fairness.csv"))
                files["model/"] = "churn model (model.joblib), its card (model_card.json) and fairness audit"
        with stages.stage("Scoring the workforce"):
            risk_table = score(model, workers, cases, history=history)
            teams = team_risk(risk_table)
            _write_csv(risk_table, od.path("risk.csv"))
            _write_csv(teams, od.path("team_risk.csv"))
            write_risk_register(od.path("risk.xlsx"), risk=risk_table, team_risk=teams, fairness=fairness,
                                card=model.card, inputs=inputs)
            files["risk.csv"] = "each worker's chance of leaving within 12 months, band and top drivers"
            files["risk.xlsx"] = "the risk register with RAG bands"
    with stages.stage(f"Allocating caseloads ({mode}, risk-aware)"):
        alloc = allocate(workers, cases, mode=mode, leavers=leavers, risk=risk_table,
                         time_limit=min(time_limit, 8.0) if quick else time_limit)
        write_allocation_files(od, alloc, inputs=inputs, summary_name="allocation_summary.json")
        files["allocation.xlsx"] = "allocation: summary, allocations, worker loads, unallocated, changes"
        files["allocations.csv"] = "one row per child: worker, previous worker, points, cost terms"
        files["explanations.csv"] = "one row per child: why they are where they are (workforce explain reads it)"
    with stages.stage("Planning L&D, recruitment and Monte Carlo bands"):
        plan = build_plan(workers, cases, risk_table, assumptions, seed=seed)
        scenarios = compare_scenarios(workers, cases, risk_table, assumptions, seed=seed)
        write_plan_files(od, plan, scenarios, summary_name="plan_summary.json")
        files["projection.csv"] = "quarterly demand and supply by team"
        files["recruitment_plan.csv"] = "hires, newly qualified intake and agency cover by quarter"
    with stages.stage("Writing the planner's workbook"):
        write_planner_workbook(
            od.path("workforce_plan.xlsx"), assumptions=plan.assumptions_frame, risk=risk_register_or_none(risk_table),
            gateway=plan.gateway, gateway_programmes=plan.gateway_programmes, recruitment=plan.recruitment,
            recruitment_totals=plan.recruitment_totals, projection=plan.projection, montecarlo=plan.montecarlo,
            worker_loads=alloc.worker_loads, allocation_summary=alloc.summary, fairness=fairness, inputs=inputs,
        )
        files["workforce_plan.xlsx"] = "the HR planner's workbook (edit Assumptions, re-run with --assumptions)"

    s, a, p = plan.summary, alloc.summary, risk_table["p_leave"]
    headline: dict[str, Any] = {
        "workers / children": f"{len(workers)} / {len(cases)}",
    }
    if model is not None and model.card:
        card = model.card
        oot = card.get("out_of_time", {})
        cv_auc = card.get("cross_validated", {}).get("roc_auc", {}).get("mean")
        headline["churn model (CV ROC AUC)"] = card.get("selection", {}).get("selected", "?") + (
            f" ({cv_auc:.3f})" if cv_auc is not None else "")
        if oot.get("available"):
            headline["out-of-time ROC AUC"] = f"{oot['roc_auc']:.3f}"
    headline["predicted turnover (next 12 months)"] = _pct(float(p.mean()))
    headline["high-risk workers"] = int((risk_table.get("band") == "High").sum()) if "band" in risk_table else "n/a"
    headline["allocation status (gap to bound)"] = f"{a.get('status')} ({_pct(a.get('gap'))})"
    headline["changes of worker / unallocated children"] = f"{a.get('handoffs')} / {a.get('unallocated')}"
    headline["children losing their worker / priority 1 unallocated"] = (
        f"{a.get('children_losing_worker')} / {a.get('unallocated_priority_1')}")
    over = a.get("workers_over_capacity_points") or {}
    headline["workers over 100% of points (before -> after)"] = f"{over.get('before')} -> {over.get('after')}"
    headline["highest utilisation / workers over soft cap"] = f"{_pct(a.get('max_utilisation'))} / {a.get('workers_over_soft_cap')}"
    headline["L&D gateway: places / leavers avoided"] = f"{s.get('gateway_places_used')} / {s.get('gateway_expected_leavers_avoided', 0):.1f}"
    headline["agency share: now -> end (carry on)"] = f"{_pct(s.get('agency_share_start'))} -> {_pct(s.get('agency_share_end'))} ({_pct(s.get('baseline_agency_share_end'))})"
    headline["plan cost vs carrying on"] = f"{_gbp(s.get('plan_cost_gbp'))} vs {_gbp(s.get('baseline_cost_gbp'))} (saving {_gbp(s.get('saving_gbp'))})"
    headline["chance supply < demand in some quarter"] = _pct(s.get("p_shortfall_any_quarter"))
    result.headline = headline
    result.timings = stages.timings
    return result


def run_demo(out: str | Path, settings: DemoSettings = DemoSettings()) -> str:
    """Generate the demo authority and run every stage; returns the closing summary text."""
    from workforce.contracts import load_cases, load_hr_history, load_workers
    from workforce.demo import generate_authority, write_authority
    from workforce.outputs import OutputDir
    from workforce.plans.assumptions import Assumptions

    out = Path(out)
    stages = Stages(total=7)
    with OutputDir(out) as od:
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
        outputs = _analyse(
            od, stages, workers=workers, cases=cases, history=history, model_dir=None, risk_table=None,
            assumptions=Assumptions(), seed=settings.seed, mode="rebalance", leavers=(),
            time_limit=ALLOCATION_SECONDS, horizon_months=12, use_protected=False, quick=settings.quick,
            inputs=[],
        )
        outputs.files = {"inputs/": "the demo authority (workers, cases, hr_history; truth.csv is the generator's truth)", **outputs.files}
        _write_json({"headline": outputs.headline, "timings_seconds": outputs.timings, "seed": settings.seed},
                    od.path("summary.json"))
    return outputs.report()


def _path(base: Path, value: Any, key: str, config: Path) -> Path:
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"'{key}' must be a path (text)", file=config, column=key)
    path = Path(value).expanduser()
    return path if path.is_absolute() else (base / path)


def load_run_config(path: str | Path) -> RunSettings:
    """Read `workforce run`'s TOML config::

        [inputs]
        workers = "workers.csv"        # required
        cases = "cases.csv"            # required
        hr_history = "hr_history.csv"  # to train a churn model; or give model = "models/x" or risk = "risk.csv"
        assumptions = "assumptions.toml"   # optional: TOML or an edited workforce_plan.xlsx
        [outputs]
        folder = "out"                 # required
        [allocation]
        mode = "rebalance"             # new | rebalance | leaver
        leavers = []                   # worker IDs (leaver mode)
        time_limit = 30
        [churn]
        horizon_months = 12
        use_protected = false
        [run]
        seed = 0
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("config file not found", file=path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"is not valid TOML ({exc})", file=path) from None
    known = {"inputs": {"workers", "cases", "hr_history", "model", "risk", "assumptions"},
             "outputs": {"folder"}, "allocation": {"mode", "leavers", "time_limit"},
             "churn": {"horizon_months", "use_protected"}, "run": {"seed"}}
    for section, values in data.items():
        if section not in known or not isinstance(values, dict):
            raise InputError(f"unknown section [{section}]", file=path, allowed=", ".join(known))
        for key in values:
            if key not in known[section]:
                raise InputError(f"unknown key '{key}' in [{section}]", file=path, column=f"{section}.{key}",
                                 allowed=", ".join(sorted(known[section])))
    base = path.resolve().parent
    inputs, outputs = data.get("inputs", {}), data.get("outputs", {})
    for key in ("workers", "cases"):
        if key not in inputs:
            raise InputError(f"[inputs] needs '{key}'", file=path, column=f"inputs.{key}")
    if "folder" not in outputs:
        raise InputError("[outputs] needs 'folder'", file=path, column="outputs.folder")
    optional = {k: _path(base, inputs[k], f"inputs.{k}", path) for k in ("hr_history", "model", "risk", "assumptions") if k in inputs}
    if not {"hr_history", "model", "risk"} & set(optional):
        raise InputError("[inputs] needs hr_history (to train a churn model), model or risk", file=path, column="inputs")
    alloc, churn, run = data.get("allocation", {}), data.get("churn", {}), data.get("run", {})
    mode = alloc.get("mode", "rebalance")
    if mode not in ("new", "rebalance", "leaver"):
        raise InputError(f"unknown allocation mode '{mode}'", file=path, column="allocation.mode", allowed="new, rebalance, leaver")

    def number(section: dict, key: str, default, kind, where: str, minimum: float):
        value = section.get(key, default)
        whole = kind is int
        if isinstance(value, bool) or not isinstance(value, int if whole else (int, float)) or value < minimum:
            raise InputError(f"'{where}' must be a {'whole ' if whole else ''}number >= {minimum}", file=path, column=where)
        return kind(value)

    leavers = alloc.get("leavers", [])
    if not isinstance(leavers, list) or not all(isinstance(x, str) for x in leavers):
        raise InputError("'allocation.leavers' must be a list of worker IDs", file=path, column="allocation.leavers")
    use_protected = churn.get("use_protected", False)
    if not isinstance(use_protected, bool):
        raise InputError("'churn.use_protected' must be true or false", file=path, column="churn.use_protected")
    return RunSettings(
        out=_path(base, outputs["folder"], "outputs.folder", path),
        workers=_path(base, inputs["workers"], "inputs.workers", path),
        cases=_path(base, inputs["cases"], "inputs.cases", path),
        hr_history=optional.get("hr_history"), model=optional.get("model"), risk=optional.get("risk"),
        assumptions=optional.get("assumptions"),
        seed=number(run, "seed", 0, int, "run.seed", 0),
        allocation_mode=mode, leavers=tuple(leavers),
        time_limit=number(alloc, "time_limit", 30.0, float, "allocation.time_limit", 1),
        horizon_months=number(churn, "horizon_months", 12, int, "churn.horizon_months", 1),
        use_protected=use_protected, config_path=path,
    )


def run_pipeline(settings: RunSettings) -> str:
    """Every stage on an authority's own files; returns the closing summary text."""
    from workforce.contracts import load_cases, load_hr_history, load_risk, load_workers
    from workforce.outputs import OutputDir
    from workforce.plans.assumptions import Assumptions, load_assumptions

    stages = Stages(total=6 + (settings.hr_history is not None and settings.model is None and settings.risk is None))
    with OutputDir(settings.out, inputs=settings.inputs) as od:
        with stages.stage("Validating the inputs"):
            workers = load_workers(settings.workers)
            cases = load_cases(settings.cases, workers)
            history = load_hr_history(settings.hr_history) if settings.hr_history else None
            assumptions = load_assumptions(settings.assumptions) if settings.assumptions else Assumptions()
            risk_table = None
            if settings.risk is not None:
                risk_table = load_risk(settings.risk)
        outputs = _analyse(
            od, stages, workers=workers, cases=cases, history=history, model_dir=settings.model,
            risk_table=risk_table, assumptions=assumptions, seed=settings.seed, mode=settings.allocation_mode,
            leavers=settings.leavers, time_limit=settings.time_limit, horizon_months=settings.horizon_months,
            use_protected=settings.use_protected, quick=False, inputs=settings.inputs,
        )
        _write_json({"headline": outputs.headline, "timings_seconds": outputs.timings}, od.path("summary.json"))
    return outputs.report()
