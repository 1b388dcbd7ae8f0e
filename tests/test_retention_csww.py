"""CSWW census import: mapping, pseudonymisation, leavers, malformed files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from workforce.errors import InputError
from workforce.retention.csww import import_csww, pseudonym


def _worker(**fields: object) -> str:
    return "<CSWWWorker>" + "".join(f"<{k}>{v}</{k}>" for k, v in fields.items()) + "</CSWWWorker>"


def _return(ref: str, workers: list[str]) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><Message><Header><CollectionDetails><Collection>CSWW</Collection>'
        f"<Year>{ref[:4]}</Year><ReferenceDate>{ref}</ReferenceDate></CollectionDetails><Source><LEA>333</LEA>"
        "</Source></Header><LALevelVacancies><NumberOfVacancies>2.00</NumberOfVacancies></LALevelVacancies>"
        + "".join(workers) + "</Message>"
    )


@pytest.fixture()
def returns(tmp_path: Path) -> list[Path]:
    y2019 = tmp_path / "csww_2019.xml"
    y2019.write_text(_return("2019-09-30", [
        _worker(AgencyWorker=0, SWENo="SW123456", FTE="1", PersonBirthDate="1985-06-01", GenderCurrent=2,
                Ethnicity="WBRI", OrgRole=5, RoleStartDate="2016-01-04", Cases30=17, WorkingDaysLost="3.50",
                CFKSSstatus=2),
        _worker(AgencyWorker=1, SWENo="SW222222", OrgRole=5, Cases30=12),
        _worker(AgencyWorker=0, SWENo="SW333333", FTE="0.8", PersonBirthDate="1960-03-01", GenderCurrent=1,
                Ethnicity="BAFR", OrgRole=2, RoleStartDate="2010-01-04"),
        _worker(AgencyWorker=0, SWENo="SW555555", FTE="0.5", PersonBirthDate="1958-01-15", GenderCurrent=1,
                Ethnicity="WIRI", OrgRole=3, CFKSSstatus=3, RoleStartDate="2001-04-01", Cases30=4),
    ]))
    y2020 = tmp_path / "csww_2020.xml"
    y2020.write_text(_return("2020-09-30", [
        _worker(AgencyWorker=0, SWENo="SW123456", FTE="0", PersonBirthDate="1985-06-01", GenderCurrent=2,
                Ethnicity="WBRI", OrgRole=5, RoleStartDate="2016-01-04", RoleEndDate="2020-03-31", ReasonLeave=1,
                LeaverDestination=1),
        _worker(AgencyWorker=0, SWENo="SW444444", FTE="1", PersonBirthDate="1996-06-01", GenderCurrent=2,
                Ethnicity="ABAN", OrgRole=5, RoleStartDate="2019-10-01", Cases30=9, CFKSSstatus=1),
        _worker(AgencyWorker=0, SWENo="SW555555", FTE="0.5", PersonBirthDate="1958-01-15", GenderCurrent=1,
                Ethnicity="WIRI", OrgRole=3, CFKSSstatus=3, RoleStartDate="2001-04-01", Cases30=3),
    ]))
    return [y2019, y2020]


def test_returns_stack_into_hr_history_with_leaves_attached(returns):
    history, summary = import_csww(returns, salt="s")
    assert summary.files == 2 and summary.records == 7
    assert summary.excluded_roles == 1  # the middle manager (OrgRole 2)
    assert len(history) == 5  # 3 in post in 2019, 2 in 2020
    sw1 = history.loc[history["worker_id"] == pseudonym("SW123456", "s")].iloc[0]
    assert sw1["snapshot_date"] == pd.Timestamp("2019-09-30")
    assert sw1["leave_date"] == pd.Timestamp("2020-03-31") and sw1["leave_reason"] == 1
    assert sw1["leaver_destination"] == 1
    assert (sw1["role"], sw1["gender"], sw1["ethnicity"], sw1["age_band"]) == ("case_holder", "female", "WBRI", "30-39")
    assert sw1["cases_held"] == 17 and sw1["sickness_days_12m"] == 3.5 and sw1["fte"] == 1.0
    assert (sw1["team"], sw1["locality"]) == ("unknown", "unknown")
    asye = history.loc[history["worker_id"] == pseudonym("SW444444", "s")].iloc[0]
    assert bool(asye["asye"]) and asye["age_band"] == "20-29"
    supervisor = history.loc[history["worker_id"] == pseudonym("SW555555", "s")]
    assert supervisor["role"].tolist() == ["practice_supervisor"] * 2
    assert supervisor["age_band"].tolist() == ["60+", "60+"]  # 61 in 2019, 62 in 2020
    agency = history.loc[history["worker_id"] == pseudonym("SW222222", "s")].iloc[0]
    assert bool(agency["agency"]) and agency["fte"] == 1.0 and agency["start_date"] == pd.Timestamp("2019-09-30")
    assert summary.fte_defaulted == 1 and summary.start_defaulted == 1


def test_no_registration_number_or_birth_date_is_written(returns, tmp_path):
    from workforce.cli import app

    out = tmp_path / "hr_history.csv"
    result = CliRunner().invoke(app, ["churn", "import-csww", *map(str, returns), "--out", str(out), "--salt", "k"])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    for secret in ("SW123456", "SW444444", "1985-06-01", "1996-06-01", "1958-01-15"):
        assert secret not in text
    assert "PersonBirthDate" not in text and "SWENo" not in text
    # the output is a valid hr_history table
    from workforce.contracts import load_hr_history

    assert len(load_hr_history(out)) == 5


def test_same_salt_same_ids_different_salt_different_ids():
    assert pseudonym("SW123456", "a") == pseudonym(" sw123456 ", "a")
    assert pseudonym("SW123456", "a") != pseudonym("SW123456", "b")


def test_malformed_xml_names_file_and_element(tmp_path):
    bad = tmp_path / "broken.xml"
    bad.write_text(_return("2021-09-30", [_worker(SWENo="SW1", FTE="1", OrgRole=5)]).replace("<FTE>1</FTE>", "<FTE>1</FT>"))
    with pytest.raises(InputError) as info:
        import_csww([bad])
    message = str(info.value)
    assert "broken.xml" in message and "FTE" in message and "CSWWWorker" in message


def test_bad_value_names_file_record_and_element(tmp_path):
    bad = tmp_path / "values.xml"
    bad.write_text(_return("2021-09-30", [_worker(SWENo="SW1", FTE="1", OrgRole=5), _worker(SWENo="SW2", FTE="lots")]))
    with pytest.raises(InputError) as info:
        import_csww([bad])
    message = str(info.value)
    assert "values.xml" in message and "<FTE>" in message and "number 2" in message


def test_entities_are_refused(tmp_path):
    bomb = tmp_path / "bomb.xml"
    bomb.write_text('<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "aaaa">]><Message>&a;</Message>')
    with pytest.raises(InputError, match="bomb.xml"):
        import_csww([bomb])


def test_cli_exit_code_2_on_malformed_file(tmp_path):
    from workforce.cli import app

    bad = tmp_path / "broken.xml"
    bad.write_text("<Message><Header>")
    result = CliRunner().invoke(app, ["churn", "import-csww", str(bad), "--out", str(tmp_path / "h.csv"), "--salt", "x"])
    assert result.exit_code == 2
    assert not (tmp_path / "h.csv").exists()
