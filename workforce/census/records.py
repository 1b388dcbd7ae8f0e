"""Worker records of a census return as a typed, pseudonymised frame.

One row per `CSWWWorker` record. The frame holds the raw text of every field under its XML
name (for the data-quality rules, which ask what is present) and typed columns in snake case
(for the import). The raw `SWENo` and `PersonBirthDate` columns and `birth_date` are personal
data: they stay inside this package and are never written (outputs select named columns).

Typed columns: `file, year, reference_date, la, position, line` (where the record starts in the
file), `worker_id` (salted pseudonym of the SWE number), `agency, fte, fte30, birth_date, gender, ethnicity, org_role, cfkss_asye,
cfkss_supervisor, role, asye, start_date, start_origin, end_date, leave_reason,
leaver_destination, cases30, days_lost, absent, absence_reason, base_salary, rr_payments,
other_payments, refused` ("" when the record can be used, else why not).
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Iterable

import numpy as np
import pandas as pd

from workforce.caseload import ROLES, CaseloadRules
from workforce.census.problems import ERROR, CensusProblem, value_shown
from workforce.census.reader import WORKER, CensusReturn
from workforce.census.schema import code_list

#: Every field of any year's worker record, in schema order (2021-2025 combined).
FIELDS = (
    "AgencyWorker", "SWENo", "FTE", "PersonBirthDate", "GenderCurrent", "Sex", "Ethnicity", "QualInst",
    "QualLevel", "StepUpGrad", "OrgRole", "RoleStartDate", "StartOrigin", "RoleEndDate", "LeaverDestination",
    "ReasonLeave", "FTE30", "Cases30", "WorkingDaysLost", "ContractWeeks", "FrontlineGrad", "Absat30Sept",
    "ReasonAbsence", "CFKSSstatus", "BaseSalary", "RRPayments", "OtherPayments",
)
#: Personal details the DfE does not collect for agency workers (`census check` reports each one
#: given), and the columns the import would derive from them.
AGENCY_PERSONAL_FIELDS = ("PersonBirthDate", "GenderCurrent", "Sex", "Ethnicity")
AGENCY_NOT_KEPT = ("age_band", "gender", "ethnicity")
GENDER = {"2": "female", "1": "male", "9": "other", "0": "not_known", "F": "female", "M": "male"}
AGE_BANDS = ((60, "60+"), (50, "50-59"), (40, "40-49"), (30, "30-39"), (0, "20-29"))
ASYE_MONTHS = 12  # the Assessed and Supported Year in Employment
CFKSS_ASYE, CFKSS_SUPERVISOR = "1", "3"
NEWLY_QUALIFIED = 1  # StartOrigin 1


def pseudonym(sweno: str, salt: str) -> str:
    """Stable pseudonymous worker ID from the SWE registration number: ``S`` and the first 12
    hex digits of SHA-256(salt | SWENo, upper-cased). Stable across years for one salt."""
    digest = hashlib.sha256((salt + "|" + sweno.strip().upper()).encode("utf-8")).hexdigest()
    return "S" + digest[:12]


#: The shortest salt accepted without a warning: 16 characters of a random hex string carry 64
#: bits, beyond trying every salt; a word or a short string can be guessed.
MIN_SALT_LENGTH = 16
#: How to make a salt, for the warning and the README.
MAKE_SALT = 'python -c "import secrets; print(secrets.token_hex(16))"'


def weak_salt(salt: str) -> str | None:
    """Why `salt` is too weak to protect the pseudonyms, or None when it is long enough.

    A SWE number is two letters and a few digits, so anyone who knows or guesses the salt can
    hash every possible SWE number in seconds and turn a pseudonym back into the person's
    number: the salt is the only secret of the pseudonymisation (UK GDPR Recital 26, Art 32).
    A salt shorter than :data:`MIN_SALT_LENGTH` characters is warned about, not refused (an
    authority may have used one for years and need its IDs to match). Never repeats the salt.
    """
    if len(salt) >= MIN_SALT_LENGTH:
        return None
    return (f"the salt is only {len(salt)} characters: with a short or guessable salt a pseudonym can be turned back "
            f"into its SWE number by trying every SWE number, in seconds. Use at least {MIN_SALT_LENGTH} random "
            f"characters (make one with: {MAKE_SALT}) and keep it secret: give it in the environment variable "
            "WORKFORCE_CSWW_SALT rather than on the command line or in a shared settings file")


def age_band(birth: pd.Series, on: pd.Series) -> pd.Series:
    """Age band at `on` from birth dates ("" when unknown); the dates themselves are not kept."""
    before_birthday = (on.dt.month < birth.dt.month) | ((on.dt.month == birth.dt.month) & (on.dt.day < birth.dt.day))
    age = on.dt.year - birth.dt.year - before_birthday.astype("Int64")
    band = pd.Series("", index=birth.index, dtype=object)
    for lower, label in reversed(AGE_BANDS):
        band = band.mask(age.ge(lower).fillna(False).astype(bool), label)
    return band.astype(str)


def _default_roles() -> dict[int, str]:
    """OrgRole -> the role a record of that code is read as when nothing else tells: the first
    role of each census code in :data:`workforce.caseload.ROLES` order that OrgRole alone can
    identify (advanced practitioners and practice supervisors need more than the code)."""
    rules = CaseloadRules()
    out: dict[int, str] = {}
    for name in ROLES:
        if name in ("advanced_practitioner", "practice_supervisor"):
            continue
        out.setdefault(rules.role(name).org_role, name)
    return out


ROLE_BY_ORGROLE = _default_roles()
ORG_ROLE_BY_ROLE = {name: CaseloadRules().role(name).org_role for name in ROLES}
DEFAULT_ORG_ROLE = ORG_ROLE_BY_ROLE["case_holder"]  # a record without OrgRole (counted)


def _dates(raw: pd.Series) -> pd.Series:
    return pd.to_datetime(raw.str.slice(0, 10), format="%Y-%m-%d", errors="coerce").astype("datetime64[ns]")


def _numbers(raw: pd.Series) -> pd.Series:
    return pd.to_numeric(raw.where(raw.ne(""), None), errors="coerce").astype(float)


def _codes(raw: pd.Series, allowed: Iterable[int]) -> pd.Series:
    numbers = _numbers(raw)
    ok = numbers.isin([float(a) for a in allowed])
    return numbers.where(ok).astype("Int64")


def ethnicity_code(raw: pd.Series, codes: frozenset[str]) -> pd.Series:
    """The ethnicity of each record: its census code; "" when not given; missing (NaN) when the
    text is not a code of the year's list. Free text there (a name typed into the wrong
    column) must not become a special-category value in hr_history or a group of the fairness
    audit; the import leaves it blank, counted and listed (:data:`BLANKED_FIELDS`)."""
    return raw.where(raw.eq("") | raw.isin(codes), np.nan)


def raw_frame(ret: CensusReturn) -> pd.DataFrame:
    """The text of every field of every record (columns :data:`FIELDS`, "" when absent;
    repeatable fields joined with ';'), with `position`."""
    rows = [record.values() for record in ret.records]
    frame = pd.DataFrame(rows, columns=list(FIELDS), dtype=object).fillna("").astype(str)
    frame.insert(0, "position", np.arange(1, len(frame) + 1, dtype="int64"))
    return frame


def _refusals(raw: pd.DataFrame, typed: pd.DataFrame) -> pd.Series:
    """Why a record cannot be used (first reason), "" when it can."""
    reason = pd.Series("", index=raw.index, dtype=object)

    def refuse(mask: pd.Series, text: str) -> None:
        nonlocal reason
        reason = reason.mask(mask & reason.eq(""), text)

    refuse(raw["SWENo"].eq(""), "no <SWENo>: the record cannot be linked to a worker")
    refuse(~raw["AgencyWorker"].isin(["0", "1"]), "<AgencyWorker> is not 0 or 1")
    for name, column in (("RoleStartDate", "start_date"), ("RoleEndDate", "end_date")):
        refuse(raw[name].ne("") & typed[column].isna(), f"<{name}> is not a date")
    for name, column in (("FTE", "fte"), ("FTE30", "fte30")):
        bad = raw[name].ne("") & ~typed[column].between(0.0, 1.0)
        refuse(bad, f"<{name}> is not a number from 0 to 1")
    refuse(raw["OrgRole"].ne("") & typed["org_role"].isna(), "<OrgRole> is not a code 1-6")
    return reason


def records_frame(ret: CensusReturn, *, year: int, reference: pd.Timestamp | None, salt: str) -> pd.DataFrame:
    """The typed records of one return (module docstring). `reference` is the census day used
    for age bands and ASYE; None when the header has no usable ReferenceDate."""
    raw = raw_frame(ret)
    ref = pd.Timestamp(reference) if reference is not None else pd.NaT
    t = pd.DataFrame(index=raw.index)
    t["file"] = ret.name
    t["year"] = year
    t["reference_date"] = pd.Series(ref, index=raw.index).astype("datetime64[ns]")
    t["la"] = ret.la
    t["position"] = raw["position"]
    t["line"] = pd.array([ret.line_of(int(i)) for i in raw["position"]], dtype="Int64")
    sweno = raw["SWENo"].str.strip().str.upper()
    t["worker_id"] = sweno.map(lambda s: pseudonym(s, salt) if s else "")
    t["agency"] = raw["AgencyWorker"].eq("1")
    t["fte"] = _numbers(raw["FTE"])
    t["fte30"] = _numbers(raw["FTE30"])
    t["birth_date"] = _dates(raw["PersonBirthDate"])
    gender_code = raw["Sex"].where(raw["Sex"].ne(""), raw["GenderCurrent"])
    t["gender"] = gender_code.map(GENDER).fillna("not_known").astype(str)
    t["ethnicity"] = ethnicity_code(raw["Ethnicity"], code_list(year, "Ethnicity"))
    t["org_role"] = _codes(raw["OrgRole"], range(1, 7))
    cfkss = raw["CFKSSstatus"].str.split(";")
    t["cfkss_asye"] = cfkss.map(lambda codes: CFKSS_ASYE in codes)
    t["cfkss_supervisor"] = cfkss.map(lambda codes: CFKSS_SUPERVISOR in codes)
    t["start_date"] = _dates(raw["RoleStartDate"])
    t["start_origin"] = _codes(raw["StartOrigin"], range(1, 11))
    t["end_date"] = _dates(raw["RoleEndDate"])
    t["leave_reason"] = _codes(raw["ReasonLeave"], range(1, 11))
    t["leaver_destination"] = _codes(raw["LeaverDestination"], range(1, 10))
    t["cases30"] = _numbers(raw["Cases30"]).where(lambda s: (s >= 0) & (s % 1 == 0))
    t["days_lost"] = _numbers(raw["WorkingDaysLost"]).where(lambda s: s.between(0, 366))
    t["absent"] = raw["Absat30Sept"].str.split(";").map(lambda flags: "1" in flags)
    t["absence_reason"] = raw["ReasonAbsence"].str.split(";").str[0].fillna("")
    for name, column in (("BaseSalary", "base_salary"), ("RRPayments", "rr_payments"), ("OtherPayments", "other_payments")):
        t[column] = _numbers(raw[name]).where(lambda s: s >= 0)
    t["role"] = role_from_census(t["org_role"], t["cfkss_supervisor"])
    t["asye"] = asye_from_census(t, raw["CFKSSstatus"].ne(""), ref)
    t["age_band"] = age_band(t["birth_date"], t["reference_date"])
    t.loc[t["agency"], list(AGENCY_NOT_KEPT)] = ""  # see agency_personal_details
    t["refused"] = _refusals(raw, t)
    return pd.concat([t, raw.drop(columns="position")], axis=1)


def agency_personal_details(records: pd.DataFrame) -> pd.Series:
    """Agency records that give a birth date, gender or ethnicity. The DfE does not collect
    these for agency workers (`census check` reports each as an error), so the import has no
    purpose for them: :func:`records_frame` leaves the age band, gender and ethnicity of every
    agency record blank (data minimisation, UK GDPR Art 5(1)(c)), rather than carry
    non-employees' special-category data into the churn model and the fairness audit; the
    import summary counts the records."""
    return records["agency"].astype(bool) & records[list(AGENCY_PERSONAL_FIELDS)].ne("").any(axis=1)


def role_from_census(org_role: pd.Series, supervisor: pd.Series) -> pd.Series:
    """The workforce role of each record: OrgRole through :data:`ROLE_BY_ORGROLE`; a
    first-line manager (OrgRole 3) with CFKSSstatus 3 is a practice supervisor; a record
    without OrgRole is read as a case holder (OrgRole 5), as agency records often are."""
    codes = org_role.fillna(DEFAULT_ORG_ROLE).astype(int)
    role = codes.map(ROLE_BY_ORGROLE).astype(str)
    is_supervisor = supervisor.astype(bool) & codes.eq(ORG_ROLE_BY_ROLE["practice_supervisor"])
    return role.mask(is_supervisor, "practice_supervisor")


def asye_from_census(t: pd.DataFrame, has_cfkss: pd.Series, reference: pd.Timestamp) -> pd.Series:
    """In the ASYE year: CFKSSstatus 1 when the record carries CFKSSstatus; otherwise (2025
    dropped the field) newly qualified on starting (StartOrigin 1) and started within the
    12 months before the census day."""
    derived = pd.Series(False, index=t.index)
    if not pd.isna(reference):
        recent = t["start_date"] > reference - pd.DateOffset(months=ASYE_MONTHS)
        derived = t["start_origin"].eq(NEWLY_QUALIFIED).fillna(False).astype(bool) & recent.fillna(False).astype(bool)
    return t["cfkss_asye"].where(has_cfkss, derived).astype(bool)


#: Fields the import carries into `hr_history` whose unusable values are left blank, counted and
#: listed (the record is still imported): field -> (typed column, hr_history column, a usable value).
#: The birth date is only used for the age band and is never repeated.
BLANKED_FIELDS = {
    "Cases30": ("cases30", "cases_held", "a whole number of cases, 0 or more"),
    "WorkingDaysLost": ("days_lost", "sickness_days_12m", "days from 0 to 366"),
    "LeaverDestination": ("leaver_destination", "leaver_destination", "a code 1-9"),
    "PersonBirthDate": ("birth_date", "age_band", "a real date written YYYY-MM-DD"),
    "Ethnicity": ("ethnicity", "ethnicity", "a census ethnicity code such as WBRI"),
}


def unusable_values(records: pd.DataFrame) -> pd.DataFrame:
    """The values of usable records that are given but cannot be used: one row per (record,
    field), columns `index` (of `records`) and `field`. The import reads them as blank; nothing
    is blanked without being counted and listed (the import summary counts those left blank in
    `hr_history` apart from those on merged records, :func:`workforce.census.history.reaches_history`)."""
    usable = records["refused"].eq("")
    pairs = []
    for name, (column, _, _) in BLANKED_FIELDS.items():
        bad = usable & records[name].ne("") & records[column].isna()
        if name in AGENCY_PERSONAL_FIELDS:  # not kept for agency records at all (agency_personal_details)
            bad &= ~records["agency"].astype(bool)
        pairs += [(i, name) for i in records.index[bad]]
    return pd.DataFrame(pairs, columns=["index", "field"])


def blank_consequence(name: str) -> str:
    """What the import does with an unusable value of field `name` (one wording, whether the
    problem is the import's own or the schema's, :func:`fold_blanked`)."""
    return f"the import reads it as blank ({BLANKED_FIELDS[name][1]})"


def blanked_problems(records: pd.DataFrame) -> list[CensusProblem]:
    """One import problem per value left blank (:func:`unusable_values`): an error, so that
    ``--strict`` refuses the import."""
    out = []
    for i, name in unusable_values(records).itertuples(index=False):
        row = records.loc[i]
        _, target, usable = BLANKED_FIELDS[name]
        out.append(CensusProblem(row["file"], ERROR, "import",
                                 f"<{name}>{value_shown(name, row[name])} cannot be used (it must be {usable}): {blank_consequence(name)}",
                                 f"Correct <{name}> in the return; until then this record's {target} is unknown.",
                                 int(row["position"]), WORKER, name, int(row["year"])))
    return out


def fold_blanked(problems: list[CensusProblem], blanked: list[CensusProblem]) -> list[CensusProblem]:
    """`problems` and the blanked values' problems, one problem per thing to fix: a value the
    schema already reports (an Ethnicity not in the code list, a birth date that is not a date,
    a Cases30 that is not a number) is one thing to fix, so it is listed once, by the schema's
    problem, which names the allowed values and carries the line, with what the import does
    with it added (:func:`blank_consequence`). Values the schema accepts but the import cannot
    use (a negative Cases30, 400 days lost) keep their own import problem.

    Parameters
    ----------
    problems : list of CensusProblem
        The return's problems so far (schema, header, rules).
    blanked : list of CensusProblem
        :func:`blanked_problems` of the same return.

    Returns
    -------
    list of CensusProblem
    """
    out = list(problems)
    schema_at = {(p.file, p.position, p.field): i for i, p in enumerate(out) if p.check == "schema" and p.field}
    rest = []
    for b in blanked:
        i = schema_at.get((b.file, b.position, b.field))
        if i is None:
            rest.append(b)
        else:
            out[i] = replace(out[i], message=f"{out[i].message}; {blank_consequence(b.field)}")
    return out + rest


def refusal_problems(records: pd.DataFrame) -> list[CensusProblem]:
    """One import problem per record that cannot be used."""
    out = []
    for row in records.loc[records["refused"].ne("")].itertuples(index=False):
        field = row.refused.split("<", 1)[1].split(">", 1)[0] if "<" in row.refused else ""
        out.append(CensusProblem(row.file, ERROR, "import", f"record not imported: {row.refused}",
                                 f"Correct <{field}> so the record can be used; it is left out until then.",
                                 int(row.position), WORKER, field, int(row.year)))
    return out

