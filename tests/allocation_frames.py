"""Tiny typed frames for allocation tests (shaped like `load_workers` / `load_cases` output)."""

from __future__ import annotations

import pandas as pd


def worker(worker_id, team="A", locality="North", *, role="case_holder", asye=False, fte=1.0, skills="",
           available=True, capacity_points=float("nan"), max_children=float("nan")):
    return dict(worker_id=worker_id, team=team, locality=locality, role=role, asye=asye, agency=False, fte=fte,
                start_date=pd.Timestamp("2015-01-01"), skills=skills, available=available,
                capacity_points=capacity_points, max_children=max_children)


def case(case_id, family_id=None, *, case_type="cin", court=False, locality="North", team="A", current="",
         workers_12m=1, priority=None, required="", pinned=False, excluded=""):
    return dict(case_id=case_id, family_id=family_id or f"F{case_id}", case_type=case_type, court=court,
                locality=locality, team=team, current_worker_id=current, workers_12m=workers_12m,
                priority=priority, required_skills=required, pinned=pinned, excluded_workers=excluded)


def workers_frame(*rows) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def cases_frame(*rows) -> pd.DataFrame:
    df = pd.DataFrame(list(rows))
    if df["priority"].isna().all():
        df = df.drop(columns="priority")
    return df
