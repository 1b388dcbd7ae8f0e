"""Writing census returns of any schema year from worker records: for tests, benchmarks and
examples (the demo authority's history written as the returns it would have sent).

Fields are written in the order the year's schema declares them (taken from the bundled XSD),
in the formats it asks for, so what this writes validates against that year's schema. The
`records` frame has one row per return record; every column is optional:

`sweno, agency, fte, birth_date, gender` (female, male, other, not_known) `, ethnicity,
qual_inst, qual_level, stepup, org_role, start_date, start_origin, end_date,
leaver_destination, leave_reason, fte30, cases30, days_lost, contract_weeks, frontline,
absent, absence_reason, cfkss, base_salary, rr_payments, other_payments`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping
from xml.etree.ElementTree import Element, SubElement, tostring

import numpy as np
import pandas as pd

from workforce.census.records import ORG_ROLE_BY_ROLE
from workforce.census.schema import PAY_FROM, SEX_FROM, nearest_year, worker_declarations

GENDER_CODE = {"female": "2", "male": "1", "other": "9", "not_known": "0"}
SEX_CODE = {"female": "F", "male": "M"}
#: A birth date inside each age band, for the demo (which keeps only bands).
BAND_AGE = {"20-29": 25, "30-39": 35, "40-49": 45, "50-59": 55, "60+": 62}


def _blank(value: Any) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and np.isnan(value)) or value == ""


def _date(v: Any) -> str:
    return pd.Timestamp(v).strftime("%Y-%m-%d")


def _dp(n: int) -> Callable[[Any], str]:
    return lambda v: f"{float(v):.{n}f}"


def _int(v: Any) -> str:
    return str(int(v))


def _flag(v: Any) -> str:
    return "1" if bool(v) else "0"


#: Field -> (records column, formatter). Gender and Sex are written from `gender`.
FIELD_SOURCES: dict[str, tuple[str, Callable[[Any], str]]] = {
    "AgencyWorker": ("agency", _flag),
    "SWENo": ("sweno", str),
    "FTE": ("fte", _dp(6)),
    "PersonBirthDate": ("birth_date", _date),
    "Ethnicity": ("ethnicity", str),
    "QualInst": ("qual_inst", str),
    "QualLevel": ("qual_level", _int),
    "StepUpGrad": ("stepup", _flag),
    "OrgRole": ("org_role", _int),
    "RoleStartDate": ("start_date", _date),
    "StartOrigin": ("start_origin", _int),
    "RoleEndDate": ("end_date", _date),
    "LeaverDestination": ("leaver_destination", _int),
    "ReasonLeave": ("leave_reason", _int),
    "FTE30": ("fte30", _dp(6)),
    "Cases30": ("cases30", _int),
    "WorkingDaysLost": ("days_lost", _dp(2)),
    "ContractWeeks": ("contract_weeks", _dp(1)),
    "FrontlineGrad": ("frontline", _flag),
    "Absat30Sept": ("absent", _flag),
    "ReasonAbsence": ("absence_reason", str),
    "CFKSSstatus": ("cfkss", _int),
    "BaseSalary": ("base_salary", _dp(2)),
    "RRPayments": ("rr_payments", _dp(2)),
    "OtherPayments": ("other_payments", _dp(2)),
}
LA_POLICY_ORDER = ("RecruitmentBonus", "RetentionBonus", "PerformanceAward", "CarAllowance", "RelocationPackage",
                   "RegionalWeighting", "CostSWE", "CostDBS")


@dataclass
class ReturnHeader:
    """The header and authority-level fields of one return."""

    year: int
    reference_date: pd.Timestamp
    la: str = "999"
    vacancies_fte: float = 0.0
    agency_fte: float = 0.0
    agency_headcount: int = 0
    policies: Mapping[str, int] = field(default_factory=dict)  # 2025 on: field -> 0 no, 1 all, 2 some
    other_allowances: str = "none"


def _gender_field(year: int, gender: Any) -> tuple[str, str] | None:
    if _blank(gender):
        return None
    if year >= SEX_FROM:
        return ("Sex", SEX_CODE[gender]) if gender in SEX_CODE else None
    return "GenderCurrent", GENDER_CODE.get(str(gender), "0")


def return_xml(records: pd.DataFrame, header: ReturnHeader) -> bytes:
    """One return as XML bytes (UTF-8), fields in the year's schema order."""
    year = header.year
    root = Element("Message")
    head = SubElement(root, "Header")
    details = SubElement(head, "CollectionDetails")
    SubElement(details, "Collection").text = "CSWW"
    SubElement(details, "Year").text = str(year)
    SubElement(details, "ReferenceDate").text = _date(header.reference_date)
    source = SubElement(head, "Source")
    SubElement(source, "SourceLevel").text = "L"
    SubElement(source, "LEA").text = header.la
    SubElement(source, "SoftwareCode").text = "workforce.census.writer"
    SubElement(source, "DateTime").text = _date(header.reference_date) + "T00:00:00"
    vac = SubElement(root, "LALevelVacancies")
    SubElement(vac, "NumberOfVacancies").text = f"{header.vacancies_fte:.2f}"
    SubElement(vac, "NoAgencyFTE").text = f"{header.agency_fte:.2f}"
    SubElement(vac, "NoAgencyHeadcount").text = str(int(header.agency_headcount))
    if year >= PAY_FROM:
        for name in LA_POLICY_ORDER:
            SubElement(vac, name).text = str(int(header.policies.get(name, 0)))
        SubElement(vac, "OtherAllowances").text = header.other_allowances
    order = list(worker_declarations(nearest_year(year)))
    columns = set(records.columns)
    for rec in records.to_dict("records"):
        worker = SubElement(root, "CSWWWorker")
        for name in order:
            if name in ("GenderCurrent", "Sex"):
                pair = _gender_field(year, rec.get("gender"))
                if pair and pair[0] == name:
                    SubElement(worker, name).text = pair[1]
                continue
            column, fmt = FIELD_SOURCES[name]
            if column in columns and not _blank(rec[column]):
                SubElement(worker, name).text = fmt(rec[column])
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(root, encoding="utf-8", xml_declaration=False)


def write_return(path: str | Path, records: pd.DataFrame, header: ReturnHeader) -> Path:
    """Write one return to `path`."""
    path = Path(path)
    path.write_bytes(return_xml(records, header))
    return path


def sweno_for(worker_ids: pd.Series, seed: int = 0) -> pd.Series:
    """A made-up, stable SWE number per worker ID (two letters and eight digits)."""
    def one(wid: str) -> str:
        digest = int(hashlib.sha256(f"{seed}|{wid}".encode()).hexdigest()[:15], 16)
        return "SW" + f"{digest % 10**8:08d}"
    return worker_ids.astype(str).map(one)


def census_records(history: pd.DataFrame, snapshot: pd.Timestamp, previous: pd.Timestamp | None, *,
                   year: int, seed: int = 0) -> pd.DataFrame:
    """The records of the return for census day `snapshot`, from an `hr_history` frame (such as
    the demo authority's): the workers in post that day, and the leavers of the year since
    `previous` (the year before when None) from their last row before leaving. A census return
    does not know a leave after its census day, so in-post records carry none."""
    snapshot = pd.Timestamp(snapshot)
    start = pd.Timestamp(previous) if previous is not None else snapshot - pd.DateOffset(years=1)
    h = history
    now = h.loc[(h["snapshot_date"] == snapshot) & (h["leave_date"].isna() | (h["leave_date"] > snapshot))]
    gone = h.loc[h["leave_date"].notna() & (h["leave_date"] > start) & (h["leave_date"] <= snapshot)
                 & (h["snapshot_date"] < h["leave_date"])]
    gone = gone.sort_values("snapshot_date").drop_duplicates(["worker_id", "leave_date"], keep="last")
    frames = []
    for rows, leaver in ((now, False), (gone, True)):
        if rows.empty:
            continue
        rec = pd.DataFrame({
            "sweno": sweno_for(rows["worker_id"], seed).to_numpy(),
            "agency": rows["agency"].to_numpy(bool),
            "fte": np.where(leaver, 0.0, rows["fte"].to_numpy(float)),
            "fte30": rows["fte"].to_numpy(float),
            "org_role": rows["role"].map(ORG_ROLE_BY_ROLE).to_numpy(),
            "start_date": rows["start_date"].to_numpy(),
            "cases30": rows["cases_held"].astype("Float64").to_numpy() if "cases_held" in rows else pd.NA,
            "days_lost": rows["sickness_days_12m"].round(2).to_numpy() if "sickness_days_12m" in rows else np.nan,
            "ethnicity": rows["ethnicity"].to_numpy() if "ethnicity" in rows else "",
            "gender": rows["gender"].to_numpy() if "gender" in rows else "",
        })
        asye = rows["asye"].to_numpy(bool)
        supervisor = rows["role"].eq("practice_supervisor").to_numpy()
        rec["cfkss"] = np.where(asye, 1, np.where(supervisor, 3, 2)) if year < PAY_FROM else pd.NA
        rec["start_origin"] = np.where(asye, 1, 9)
        bands = rows["age_band"].map(BAND_AGE).to_numpy() if "age_band" in rows else np.full(len(rows), np.nan)
        rec["birth_date"] = [snapshot - pd.DateOffset(years=int(a)) - pd.Timedelta(days=100) if not np.isnan(a) else pd.NaT
                             for a in bands.astype(float)]
        if leaver:
            rec["end_date"] = rows["leave_date"].to_numpy()
            rec["leave_reason"] = rows["leave_reason"].astype("Float64").to_numpy()
            rec["leaver_destination"] = rows["leaver_destination"].astype("Float64").to_numpy()
        if "qual_inst" not in rec and year < PAY_FROM:
            rec["qual_inst"] = "Demo University"
        rec["stepup"] = np.where(rec["agency"], np.nan, 0.0)
        rec["frontline"] = np.where(rec["agency"], np.nan, 0.0)
        # the DfE does not collect personal details of agency workers
        rec.loc[rec["agency"], ["birth_date", "gender", "ethnicity"]] = [pd.NaT, "", ""]
        frames.append(rec)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def history_returns(history: pd.DataFrame, folder: str | Path, *, years: tuple[int, ...] = (2021, 2022, 2023, 2024, 2025),
                    la: str = "999", seed: int = 0) -> list[Path]:
    """Write the returns of the last ``len(years)`` census days of `history`, named
    ``csww_<LA>_<year>.xml``, each against its year's schema. The census days must fall in
    those years (30 September of each)."""
    folder = Path(folder)
    snaps = sorted(pd.to_datetime(history["snapshot_date"].unique()))
    chosen = snaps[-len(years):]
    if [s.year for s in chosen] != list(years):
        raise ValueError(f"the last census days are {[str(s.date()) for s in chosen]}, not in the years {years}")
    paths = []
    for i, (snap, year) in enumerate(zip(chosen, years)):
        idx = snaps.index(snap)
        previous = snaps[idx - 1] if idx > 0 else None
        recs = census_records(history, snap, previous, year=year, seed=seed)
        agency = recs.loc[recs["agency"] & recs["end_date"].isna()] if "end_date" in recs else recs.loc[recs["agency"]]
        header = ReturnHeader(year, snap, la, 0.0, float(agency["fte"].sum()), int(len(agency)))
        paths.append(write_return(folder / f"csww_{la}_{year}.xml", recs, header))
    return paths
