"""Planning from census returns: what `workforce run` and `workforce plan` need, from a folder
of yearly returns (cases still come from the case system).

:func:`plan_inputs` gives

* `hr_history` from every year, linked across years by the salted SWE number;
* `workers` from the latest year: role from OrgRole (and CFKSSstatus), agency, FTE, start
  date, availability (not absent on the census day) and the census's own case count as a check
  on the case system;
* the funded establishment: LA-employed FTE in post plus the FTE vacancies the return reports
  (`LALevelVacancies`), with the DfE's vacancy, agency and turnover rates;
* named values for the plans' assumptions where the returns have them (2025 on: median base
  salary by role, the share of staff receiving recruitment and retention payments, the
  authority's pay policies), each with its basis "from the census returns (file, year)".

A `roster` (the authority's HR extract: SWE number and the case system's worker ID, with team
and locality) links the census to the case system. Without one, worker IDs are the census
pseudonyms and team and locality are "unknown".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from workforce.census.history import UNKNOWN
from workforce.census.importer import CensusImport, import_returns
from workforce.census.load import LoadedReturn
from workforce.census.problems import CensusProblem
from workforce.census.records import pseudonym
from workforce.census.schema import PAY_FROM
from workforce.contracts import LEAVE_REASON_GROUPS
from workforce.errors import InputError, Problem
from workforce.plans.assumptions import Assumptions, assumptions_frame
from workforce.readers import check_file, read_table, source_label

#: Fewest full-time salaries a median is taken over: fewer is not a reliable figure and could
#: disclose one person's pay.
MIN_SALARIES = 5
#: Full time, for salary medians: whether a return gives part-time salaries pro rata or
#: full-time equivalent, a full-time worker's base salary is the FTE-year salary.
FULL_TIME = 0.999
VALUE_COLUMNS = ("key", "value", "unit", "basis", "description")
ROSTER_REQUIRED = ("swe_no", "worker_id")
LA_POLICY_FIELDS = {
    "RecruitmentBonus": "recruitment bonus",
    "RetentionBonus": "retention bonus",
    "PerformanceAward": "performance award",
    "CarAllowance": "car allowance",
    "RelocationPackage": "relocation package",
    "RegionalWeighting": "regional weighting",
    "CostSWE": "Social Work England fee paid",
    "CostDBS": "DBS check fee paid",
}
ELIGIBILITY = {"0": "no", "1": "yes, all LA-employed social workers eligible", "2": "yes, some LA-employed social workers eligible"}


@dataclass
class CensusPlanInputs:
    """What planning needs, from the returns (module docstring).

    Attributes
    ----------
    hr_history : DataFrame
        Every year, typed as `workforce.contracts.load_hr_history` returns it.
    workers : DataFrame
        The latest year's workers in post, typed as `workforce.contracts.load_workers`
        returns it, with extra columns `census_cases` (Cases30) and `known_leave_date` (a leave
        after the census day the return already records). The reason for an absence
        (ReasonAbsence: sickness, maternity) is health data nothing here reads: it is left out.
    establishment : DataFrame
        One row for the latest census day: `reference_date, la, in_post_fte, in_post_headcount,
        agency_fte, vacancies_fte, establishment_fte, vacancy_rate, agency_rate, turnover_rate`
        and `turnover_rate_<group>` for each group of `workforce.contracts.LEAVE_REASON_GROUPS`.
    values : DataFrame
        Named values for the plans (columns :data:`VALUE_COLUMNS`); keys of the form
        ``section.key`` match `workforce.plans.assumptions` where it has the value.
    census_import : CensusImport
        The import (summary, problems, returns as read).
    roster_unmatched : int
        Census workers in post at the latest census with no row in the roster (0 without one).
    roster_not_in_post : tuple of str
        The roster's worker IDs with no record in post at the latest census (left, or not in
        the returns): the workers table has no such worker, so a case naming one is refused.
    """

    hr_history: pd.DataFrame
    workers: pd.DataFrame
    establishment: pd.DataFrame
    values: pd.DataFrame
    census_import: CensusImport
    roster_unmatched: int = 0
    roster_not_in_post: tuple[str, ...] = ()

    @property
    def problems(self) -> list[CensusProblem]:
        return self.census_import.problems


def plan_inputs(returns: str | Path | Sequence[str | Path], *, salt: str,
                roster: pd.DataFrame | str | Path | None = None, strict: bool = False) -> CensusPlanInputs:
    """Everything planning needs from a folder (or list) of yearly census returns.

    Parameters
    ----------
    returns : str, Path or sequence of them
        A folder of return files, or the files (one per year, any year 2021-2025).
    salt : str
        Secret for the pseudonymous IDs; the same salt links the same worker across imports.
    roster : DataFrame, str or Path, optional
        The authority's HR extract linking SWE numbers to the case system: columns `swe_no` and
        `worker_id` (the ID the cases table uses), optional `team`, `locality`, `skills`; or the
        file holding it (CSV, or an XLSX workbook's `roster` sheet: problems name the file). It
        is read, never written; SWE numbers never leave this function.
    strict : bool
        Refuse on any schema problem (see :func:`workforce.census.importer.import_returns`).

    Returns
    -------
    CensusPlanInputs

    Raises
    ------
    InputError
        Unreadable or unusable returns, or a roster without its required columns or with a SWE
        number or worker ID twice.
    """
    paths = [returns] if isinstance(returns, (str, Path)) else list(returns)
    result = import_returns(paths, salt=salt, strict=strict)
    latest = _latest(result)
    history = result.hr_history
    census_workers = workers = workers_from_census(result)
    unmatched, not_in_post = 0, ()
    if roster is not None:
        mapping = roster_mapping(roster, salt) if isinstance(roster, pd.DataFrame) else _roster_file(roster, salt)
        history = history.assign(worker_id=link_ids(history["worker_id"], mapping))
        workers = apply_roster(census_workers, mapping)
        unmatched = int((~census_workers["worker_id"].isin(mapping.index)).sum())
        not_in_post = tuple(sorted(set(mapping["worker_id"]) - set(workers["worker_id"])))
    est = establishment(latest, census_workers)
    values = pd.concat([establishment_values(est, latest), pay_values(latest)], ignore_index=True)
    return CensusPlanInputs(history, workers, est, values, result, unmatched, not_in_post)


def _latest(result: CensusImport) -> LoadedReturn:
    dated = [r for r in result.loaded.returns if r.reference_date is not None]
    if not dated:
        raise InputError("no return has a usable ReferenceDate")
    return dated[-1]


def basis(ret: LoadedReturn) -> str:
    """The basis of a value taken from a return."""
    return f"from the census returns ({ret.name}, {ret.year})"


def workers_from_census(result: CensusImport) -> pd.DataFrame:
    """The latest census day's workers in post as a `workers` table (module docstring)."""
    history = result.hr_history
    last = history["snapshot_date"].max()
    rows = history.loc[(history["snapshot_date"] == last)
                       & (history["leave_date"].isna() | (history["leave_date"] > history["snapshot_date"]))]
    records = result.loaded.records
    current = records.loc[result.outcome.eq("in_post").to_numpy() & records["reference_date"].eq(last).to_numpy()]
    extra = current.set_index("worker_id")[["absent", "cases30"]]
    extra = extra.loc[~extra.index.duplicated()]
    w = pd.DataFrame({
        "worker_id": rows["worker_id"].to_numpy(),
        "team": UNKNOWN,
        "locality": UNKNOWN,
        "role": rows["role"].to_numpy(),
        "asye": rows["asye"].to_numpy(bool),
        "agency": rows["agency"].to_numpy(bool),
        "fte": rows["fte"].to_numpy(float),
        "start_date": rows["start_date"].to_numpy(),
        "skills": "",
    })
    absent = w["worker_id"].map(extra["absent"]).fillna(False).astype(bool)
    w["available"] = ~absent.to_numpy()
    w["sickness_days_12m"] = rows["sickness_days_12m"].to_numpy(float)
    for column in ("age_band", "gender", "ethnicity"):
        w[column] = rows[column].to_numpy()
    w["census_cases"] = w["worker_id"].map(extra["cases30"]).astype("Float64")
    w["known_leave_date"] = rows["leave_date"].to_numpy()
    w["start_date"] = pd.to_datetime(w["start_date"]).astype("datetime64[ns]")
    w["known_leave_date"] = pd.to_datetime(w["known_leave_date"]).astype("datetime64[ns]")
    return w.sort_values("worker_id", kind="stable").reset_index(drop=True)


def roster_mapping(roster: pd.DataFrame, salt: str) -> pd.DataFrame:
    """The roster keyed by census pseudonym: `pseudonym, worker_id` and any of `team,
    locality, skills` (the SWE number itself is dropped here)."""
    missing = [c for c in ROSTER_REQUIRED if c not in roster.columns]
    if missing:
        raise InputError(f"roster is missing column(s) {', '.join(missing)}", file="roster", row=1,
                         allowed="swe_no, worker_id, team, locality, skills")
    r = roster.copy()
    r["swe_no"] = r["swe_no"].astype(str).str.strip().str.upper()
    r["worker_id"] = r["worker_id"].astype(str).str.strip()
    problems = []
    for column in ROSTER_REQUIRED:
        dup = r[column].ne("") & r[column].duplicated(keep="first")
        blank = r[column].eq("")
        for row in r.index[dup | blank]:
            what = "is blank" if blank[row] else "appears twice"
            problems.append(f"row {int(row) + 2}: {column} {what}")
    if problems:
        raise InputError("roster: " + "; ".join(problems[:20]), file="roster",
                         allowed="one row per worker, each with a SWE number and a worker ID")
    r["pseudonym"] = r["swe_no"].map(lambda s: pseudonym(s, salt))
    keep = ["pseudonym", "worker_id"] + [c for c in ("team", "locality", "skills") if c in r.columns]
    return r[keep].set_index("pseudonym")


def read_roster(path: str | Path) -> pd.DataFrame:
    """The roster table from a CSV file (or an XLSX workbook's `roster` sheet), as read."""
    return read_table(check_file(path, "roster"), "roster")


#: How each census value was used by :func:`with_census_values`.
USED_SET, USED_KEPT, USED_SHOWN = ("sets the plan assumption", "not used: the settings set this assumption",
                                   "shown only: not a plan assumption")


def with_census_values(assumptions: Assumptions, values: pd.DataFrame) -> tuple[Assumptions, pd.DataFrame]:
    """The plan assumptions with the census values that name one of them (pay from the 2025
    fields, the default turnover), each tagged with its basis "from the census returns (file,
    year)", so the Assumptions sheet shows which values came from the returns.

    A value the planner set in the settings (its value or basis differs from the shipped one)
    is kept: the planner's figure wins over the return's.

    Parameters
    ----------
    assumptions : Assumptions
        The plan assumptions from the settings.
    values : DataFrame
        :attr:`CensusPlanInputs.values`.

    Returns
    -------
    (Assumptions, DataFrame)
        The assumptions, and `values` with a column `used` saying what became of each.
    """
    def keyed(a: Assumptions) -> pd.DataFrame:
        frame = assumptions_frame(a)
        return frame.set_index(frame["section"] + "." + frame["key"])

    shipped, current = keyed(Assumptions(caseload=assumptions.caseload)), keyed(assumptions)
    used = []
    for key, value, why in zip(values["key"], values["value"], values["basis"]):
        if key not in current.index:
            used.append(USED_SHOWN)
        elif (str(current.at[key, "value"]) != str(shipped.at[key, "value"])
              or current.at[key, "basis"] != shipped.at[key, "basis"]):
            used.append(USED_KEPT)
        else:
            assumptions = assumptions.with_values({key: value}, basis=why)
            used.append(USED_SET)
    return assumptions, values.assign(used=used)


def _roster_file(path: str | Path, salt: str) -> pd.DataFrame:
    """:func:`roster_mapping` of a roster file, its problems naming the file."""
    frame = read_roster(path)
    try:
        return roster_mapping(frame, salt)
    except InputError as exc:
        label = source_label(path, "roster")
        raise InputError(problems=[Problem(label if p.file == "roster" else p.file, p.message, p.row, p.column,
                                           p.allowed) for p in exc.problems]) from None


def link_ids(ids: pd.Series, mapping: pd.DataFrame) -> pd.Series:
    """Census pseudonyms replaced by the roster's worker IDs where the roster has them."""
    return ids.map(mapping["worker_id"]).where(ids.isin(mapping.index), ids).astype(str)


def apply_roster(workers: pd.DataFrame, mapping: pd.DataFrame) -> pd.DataFrame:
    """`workers` with the roster's worker IDs, and its team, locality and skills where it has
    them. Workers not in the roster keep their pseudonym and an "unknown" team."""
    out = workers.copy()
    for column in ("team", "locality", "skills"):
        if column in mapping.columns:
            value = workers["worker_id"].map(mapping[column]).fillna("").astype(str).str.strip()
            out[column] = value.where(value.ne(""), out[column])
    out["worker_id"] = link_ids(workers["worker_id"], mapping)
    return out


def establishment(ret: LoadedReturn, workers: pd.DataFrame) -> pd.DataFrame:
    """The funded establishment at the latest census day and the DfE's rates (brief s1):
    establishment = LA-employed FTE in post + FTE vacancies; vacancy rate = vacancies ÷
    establishment; agency rate = agency FTE ÷ (agency FTE + LA-employed FTE); turnover = FTE of
    LA-employed leavers in the year to the census day ÷ LA-employed FTE in post."""
    la = workers.loc[~workers["agency"]]
    in_post_fte = float(la["fte"].sum())
    vacancies = _number(ret.la_fields.get("NumberOfVacancies"))
    agency_reported = _number(ret.la_fields.get("NoAgencyFTE"))
    agency_fte = agency_reported if not np.isnan(agency_reported) else float(workers.loc[workers["agency"], "fte"].sum())
    est = in_post_fte + (vacancies if not np.isnan(vacancies) else 0.0)
    return pd.DataFrame([{
        "reference_date": ret.reference_date,
        "la": ret.la,
        "in_post_fte": in_post_fte,
        "in_post_headcount": int(len(la)),
        "agency_fte": agency_fte,
        "vacancies_fte": vacancies,
        "establishment_fte": est,
        "vacancy_rate": vacancies / est if est > 0 and not np.isnan(vacancies) else np.nan,
        "agency_rate": agency_fte / (agency_fte + in_post_fte) if agency_fte + in_post_fte > 0 else np.nan,
        **{f"turnover_rate{'' if group is None else '_' + group}": _turnover(ret, in_post_fte, group)
           for group in (None, *LEAVE_REASON_GROUPS)},
    }])


def _number(text: str | None) -> float:
    try:
        return float(text) if text not in (None, "") else float("nan")
    except ValueError:
        return float("nan")


def _turnover(ret: LoadedReturn, in_post_fte: float, group: str | None = None) -> float:
    """FTE of LA-employed leavers in the 12 months to the census day ÷ FTE in post (each leave
    once), for every reason or for one group of `workforce.contracts.LEAVE_REASON_GROUPS`. A
    leaver's FTE is FTE30 (FTE is 0 once they have gone), else 1."""
    r = ret.records.loc[ret.records["refused"].eq("")]
    ref = ret.reference_date
    left = ~r["agency"] & r["end_date"].notna() & (r["end_date"] <= ref) & (r["end_date"] > ref - pd.DateOffset(years=1))
    if group is not None:
        left &= r["leave_reason"].isin(LEAVE_REASON_GROUPS[group]).fillna(False).astype(bool)
    leavers = r.loc[left].drop_duplicates(["worker_id", "end_date"])
    fte = leavers["fte30"].where(leavers["fte30"] > 0, leavers["fte"].where(leavers["fte"] > 0, 1.0))
    return float(fte.sum()) / in_post_fte if in_post_fte > 0 else float("nan")


def _value(key: str, value: object, unit: str, ret: LoadedReturn, description: str) -> dict:
    return {"key": key, "value": value, "unit": unit, "basis": basis(ret), "description": description}


def _turnover_value(rate: float, ret: LoadedReturn) -> dict:
    """The return's turnover as the plans' default chance of leaving, unless it is 0.

    A return with no LA-employed leaver dated in the year to its census day gives 0%: its leavers
    were not reported, or dated outside the year (``census check`` lists those), as the public
    sample returns do (13 leavers, every date outside the year). Taken as the chance of leaving
    for a worker with no risk score it would plan for nobody to leave; the DfE's published 0%
    turnovers are the same failure (:func:`workforce.published.indicators.unreported_leavers`). So
    a 0 is shown, not used, and the plan keeps its own default."""
    if rate == 0:
        return _value("census.turnover_rate", rate, "per year", ret,
                      "FTE leavers in the year ÷ FTE in post (DfE definition): no LA-employed leaver is dated in the "
                      "12 months to the census day, so 0% is not used as the plans' chance of leaving (leavers not "
                      "reported, or dated outside the year: see census check)")
    return _value("supply.default_turnover_rate", rate, "per year", ret,
                  "FTE leavers in the year ÷ FTE in post (DfE definition): the chance of leaving for a worker with no "
                  "risk score")


def establishment_values(est: pd.DataFrame, ret: LoadedReturn) -> pd.DataFrame:
    """The establishment and the DfE rates as named values (turnover as the plans' default
    chance of leaving)."""
    e = est.iloc[0]
    rows = [
        _value("census.in_post_fte", e["in_post_fte"], "FTE", ret, "LA-employed social workers in post on the census day"),
        _value("census.vacancies_fte", e["vacancies_fte"], "FTE", ret, "vacancies the return reports (LALevelVacancies)"),
        _value("census.establishment_fte", e["establishment_fte"], "FTE", ret, "funded establishment: in post plus vacancies"),
        _value("census.agency_fte", e["agency_fte"], "FTE", ret, "agency social workers on the census day"),
        _value("census.vacancy_rate", e["vacancy_rate"], "fraction", ret, "vacancies ÷ establishment (DfE definition)"),
        _value("census.agency_rate", e["agency_rate"], "fraction", ret, "agency FTE ÷ (agency + LA-employed FTE) (DfE definition)"),
        _turnover_value(e["turnover_rate"], ret),
        *(_value(f"census.turnover_rate_{group}", e[f"turnover_rate_{group}"], "per year", ret,
                 f"turnover for {group} reasons (ReasonLeave {', '.join(map(str, codes))})")
          for group, codes in LEAVE_REASON_GROUPS.items()),
    ]
    frame = pd.DataFrame(rows, columns=list(VALUE_COLUMNS))
    return frame.loc[frame["value"].map(lambda v: not (isinstance(v, float) and np.isnan(v)))].reset_index(drop=True)


def pay_values(ret: LoadedReturn) -> pd.DataFrame:
    """Pay from the 2025 fields of the latest return, where it has them: the median base salary
    of full-time LA-employed staff by role (ASYEs apart; at least :data:`MIN_SALARIES`
    salaries), the share of LA-employed staff given recruitment and retention payments and
    their median, and the authority's pay policies. Empty before 2025."""
    if ret.year < PAY_FROM:
        return pd.DataFrame(columns=list(VALUE_COLUMNS))
    r = ret.records.loc[ret.records["refused"].eq("")]
    staff = r.loc[~r["agency"] & (r["end_date"].isna() | (r["end_date"] > ret.reference_date))]
    rows = []
    full_time = staff.loc[(staff["fte"] >= FULL_TIME) & (staff["base_salary"] > 0)]
    groups = [("salary_asye_gbp", full_time.loc[full_time["asye"]], "ASYE (newly qualified)")]
    for role, group in full_time.loc[~full_time["asye"]].groupby("role", sort=True):
        groups.append((f"salary_{role}_gbp", group, role.replace("_", " ")))
    for key, group, who in groups:
        if len(group) >= MIN_SALARIES:
            rows.append(_value(f"costs.{key}", float(group["base_salary"].median()), "GBP per FTE-year", ret,
                               f"median BaseSalary of {len(group)} full-time LA-employed {who} staff"))
    given = staff.loc[staff["rr_payments"].notna()]
    if len(given):
        paid = given.loc[given["rr_payments"] > 0, "rr_payments"]
        rows.append(_value("census.retention_payment_share", len(paid) / len(given), "fraction", ret,
                           f"share of {len(given)} LA-employed staff with RRPayments recorded who received recruitment or retention payments"))
        if len(paid) >= MIN_SALARIES:
            rows.append(_value("census.retention_payment_median_gbp", float(paid.median()), "GBP per year", ret,
                               f"median recruitment and retention payment of the {len(paid)} who received one"))
    for field, what in LA_POLICY_FIELDS.items():
        code = ret.la_fields.get(field, "")
        if code in ELIGIBILITY:
            rows.append(_value(f"census.{field}", ELIGIBILITY[code], "policy", ret, f"{what}: who is eligible"))
    other = ret.la_fields.get("OtherAllowances", "")
    if other:
        rows.append(_value("census.OtherAllowances", other[:200], "text", ret, "other allowances the authority reports"))
    return pd.DataFrame(rows, columns=list(VALUE_COLUMNS))


def cases_check(workers: pd.DataFrame, cases: pd.DataFrame) -> pd.DataFrame:
    """The census's case count (Cases30) beside the case system's, per worker: a large gap
    means the two sources disagree about who holds what (or the counts are months apart).

    Columns: `worker_id, census_cases, cases_now, difference`."""
    now = cases.loc[cases["current_worker_id"].ne("")].groupby("current_worker_id").size()
    out = pd.DataFrame({"worker_id": workers["worker_id"], "census_cases": workers["census_cases"].astype("Float64")})
    out["cases_now"] = out["worker_id"].map(now).fillna(0).astype("int64")
    out["difference"] = out["cases_now"] - out["census_cases"]
    return out
