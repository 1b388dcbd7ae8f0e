"""`Published`: the published statistics of every authority, with look-ups by code or name."""

from __future__ import annotations

import difflib
import re
from functools import cached_property

import pandas as pd

from workforce.errors import InputError
from workforce.published.authorities import joint_members, merge_neighbour_lists, predecessors, SUCCESSORS
from workforce.published.layouts import SN_COUNT

ENGLAND = "england"
LONDON = "E12000007"
# Inner and Outer London are published as regions too; an authority's region is London.
LONDON_PARTS = ("E13000001", "E13000002")

UNKNOWN_HINT = "an old three-digit code such as 333, a new code such as E08000028, or a name such as Sandwell"


def _norm(text: str) -> str:
    text = re.sub(r"\s+", " ", str(text).strip().lower().replace("&", "and"))
    return re.sub(r"\s*/\s*", " / ", text)


class Published:
    """DfE published statistics in one tidy frame.

    Attributes
    ----------
    values : DataFrame
        One row per (la_code, year, measure): ``la_code`` (old three-digit code; ``"england"``;
        a region code such as ``E12000005``; a joint return such as ``"314 / 318"``),
        ``new_la_code``, ``la_name``, ``level`` (``national``, ``regional``,
        ``local_authority``), ``region_code``, ``year`` (int), ``measure``, ``value`` (float, NaN
        for a status code) and ``source`` (the file layout).
    notes : DataFrame
        ``file, measure, la_code, year, code, meaning``: one row per status code read and one per
        value a newer publication replaced (code ``superseded``), so every missing or replaced
        value is accounted for.
    files : DataFrame
        One row per file read: layout, rows, rows read, rows after ``until``, rows not used and why.
    skipped : DataFrame
        ``file, reason``: files in a folder that are no published table this product reads.
    neighbour_table : DataFrame
        The statistical-neighbour model: ``la_code, la_name, region_name, rank, neighbour, closeness``.
    messages : list of str
        What a user should be told about the reading (overlaps, skipped files, bundled parts used).
    until : int or None
        The last year read (rows after it were never parsed).
    """

    def __init__(
        self,
        values: pd.DataFrame,
        notes: pd.DataFrame,
        *,
        files: pd.DataFrame | None = None,
        skipped: pd.DataFrame | None = None,
        neighbour_table: pd.DataFrame | None = None,
        messages: list[str] | None = None,
        until: int | None = None,
    ) -> None:
        self.values = values
        self.notes = notes
        self.files = files if files is not None else pd.DataFrame()
        self.skipped = skipped if skipped is not None else pd.DataFrame(columns=["file", "reason"])
        self.neighbour_table = (
            neighbour_table
            if neighbour_table is not None
            else pd.DataFrame(columns=["la_code", "la_name", "region_name", "rank", "neighbour", "closeness"])
        )
        self.messages = list(messages or [])
        self.until = until

    def __repr__(self) -> str:
        years = self.values["year"]
        span = f"{years.min()}-{years.max()}" if len(years) else "no years"
        return (
            f"Published({len(self.values)} values, {self.values['measure'].nunique()} measures, "
            f"{self.values.loc[self.values['level'] == 'local_authority', 'la_code'].nunique()} authorities, {span})"
        )

    # -- look-ups -----------------------------------------------------------------------------
    @cached_property
    def authorities(self) -> pd.DataFrame:
        """One row per la_code: latest new code, name, level, region, first and last year."""
        v = self.values
        if v.empty:
            return pd.DataFrame(columns=["la_code", "new_la_code", "la_name", "level", "region_code", "first_year", "last_year"])
        ordered = v.sort_values("year", kind="stable")
        last = ordered.drop_duplicates("la_code", keep="last").set_index("la_code")
        span = v.groupby("la_code")["year"].agg(["min", "max"])
        out = last[["new_la_code", "la_name", "level", "region_code"]].join(span)
        out = out.rename(columns={"min": "first_year", "max": "last_year"}).reset_index()
        return out.sort_values(["level", "la_code"]).reset_index(drop=True)

    @cached_property
    def _lookup(self) -> dict[str, str]:
        """Normalised old code, new code or name -> la_code (latest year wins for shared names)."""
        table: dict[str, str] = {}
        v = self.values
        sn = self.neighbour_table
        # Names and codes from the neighbour model first, so the data (later) win.
        for row in sn.drop_duplicates("la_code").itertuples(index=False):
            table[_norm(row.la_name)] = row.la_code
        for code in pd.concat([sn["la_code"], sn["neighbour"]]).unique():
            table[_norm(code)] = code
        if not v.empty:
            pairs = v[["la_code", "new_la_code", "la_name", "year"]].drop_duplicates().sort_values("year", kind="stable")
            for row in pairs.itertuples(index=False):
                table[_norm(row.la_name)] = row.la_code
                if row.new_la_code:
                    table[_norm(row.new_la_code)] = row.la_code
            for code in v["la_code"].unique():
                table[_norm(code)] = code
        table[ENGLAND] = ENGLAND
        table["e92000001"] = ENGLAND
        return table

    def resolve(self, la: str | int) -> str:
        """The la_code of an authority, region or England given any of its codes or its name.

        Parameters
        ----------
        la : str or int
            Old code (``333``), new code (``E08000028``, any case; old E-codes of authorities
            whose E-code changed also work) or name (``Sandwell``, any case).

        Raises
        ------
        InputError
            Naming the code or name when nothing matches.
        """
        key = _norm(la)
        found = self._lookup.get(key)
        if found is None:
            close = self.close_names(la)
            hint = f": did you mean {' or '.join(close)}?" if close else ""
            raise InputError(f"unknown local authority '{la}'{hint}", allowed=UNKNOWN_HINT)
        return found

    def close_names(self, la: str | int, most: int = 3) -> list[str]:
        """Authorities a name that matched none may have meant, as "name (code)", best first.

        A name must be given whole ("Kingston upon Thames"), but people write the short form they
        use every day ("Kingston", "Richmond") or mistype one ("Sandwel"): each word given that
        begins a word of an authority's name, or a close spelling of the whole name, is offered
        rather than a bare "unknown".

        Parameters
        ----------
        la : str or int
            The code or name that matched no authority.
        most : int
            How many to offer at most.

        Returns
        -------
        list of str
            ``"Kingston upon Thames (314)"`` and the like: names beginning with the words given
            first (the shorter the name, the earlier), then close spellings; empty when none.
        """
        key = _norm(la)
        if not key:
            return []
        names = self.authorities[self.authorities["level"] == "local_authority"]
        by_name = {_norm(name): f"{name} ({code})" for code, name in zip(names["la_code"], names["la_name"])}
        words = key.split()
        starts = sorted((n for n in by_name if all(any(w.startswith(k) for w in n.split()) for k in words)),
                        key=lambda n: (not n.startswith(key), len(n)))  # "Kingston": Kingston upon Thames first
        spelt = difflib.get_close_matches(key, list(by_name), n=most, cutoff=0.8)
        return [by_name[n] for n in dict.fromkeys(starts + spelt)][:most]

    def name_of(self, la: str | int) -> str:
        code = self.resolve(la)
        row = self.authorities[self.authorities["la_code"] == code]
        if len(row):
            return str(row["la_name"].iloc[0])
        sn = self.neighbour_table[self.neighbour_table["la_code"] == code]
        return str(sn["la_name"].iloc[0]) if len(sn) else code

    def region_of(self, la: str | int) -> str | None:
        """The region code (E12...) of an authority; London boroughs belong to London."""
        code = self.resolve(la)
        rows = self.values[(self.values["la_code"] == code) & (self.values["region_code"] != "")]
        if rows.empty:
            members = joint_members(code) or predecessors(code) or list(SUCCESSORS.get(code, ()))
            for other in members:
                region = self.region_of(other) if other in self._lookup.values() else None
                if region:
                    return region
            return None
        region = str(rows.sort_values("year")["region_code"].iloc[-1])
        return LONDON if region in LONDON_PARTS else region

    def joint_return(self, la: str | int) -> str | None:
        """The joint return (e.g. ``314 / 318``) that publishes this authority's workforce, if any."""
        code = self.resolve(la)
        for other in self.values["la_code"].unique():
            if code in joint_members(other):
                return other
        return None

    # -- series ---------------------------------------------------------------------------------
    def history(self, la: str | int) -> pd.DataFrame:
        """Wide history of one authority: index ``year``, one column per measure.

        A member of a joint return (e.g. Kingston upon Thames, 314) takes the joint return's
        values for the measures it has no row of its own for; ``attrs['joint_return']`` names it.
        """
        code = self.resolve(la)
        own = self.values[self.values["la_code"] == code]
        joint = self.joint_return(code)
        if joint:
            theirs = self.values[self.values["la_code"] == joint]
            have = pd.MultiIndex.from_frame(own[["year", "measure"]])
            extra = theirs[~pd.MultiIndex.from_frame(theirs[["year", "measure"]]).isin(have)]
            own = pd.concat([own, extra], ignore_index=True)
        wide = own.pivot_table(index="year", columns="measure", values="value", aggfunc="first", dropna=False)
        wide = wide.sort_index()
        wide.columns.name = None
        wide.attrs["la_code"] = code
        wide.attrs["joint_return"] = joint
        return wide

    def series(self, la: str | int, measure: str) -> pd.Series:
        """One measure of one authority by year (empty when the authority has none)."""
        known = set(self.values["measure"].unique())
        if measure not in known:
            raise InputError(f"unknown measure '{measure}'", column="measure", allowed=", ".join(sorted(known)))
        wide = self.history(la)
        if measure not in wide.columns:
            return pd.Series(dtype="float64", name=measure, index=pd.Index([], name="year", dtype="int64"))
        return wide[measure].rename(measure)

    # -- statistical neighbours -----------------------------------------------------------------
    @cached_property
    def _sn_lists(self) -> dict[str, list[str]]:
        table = self.neighbour_table.sort_values(["la_code", "rank"])
        return {code: list(group["neighbour"]) for code, group in table.groupby("la_code", sort=False)}

    @cached_property
    def _with_data(self) -> set[str]:
        return set(self.values["la_code"].unique())

    def neighbours(self, la: str | int) -> list[str]:
        """The DfE statistical neighbours (closest first) as codes that hold published data.

        An authority that no longer exists (Cumbria, Northamptonshire, ...) or a joint return
        takes the interleaved neighbours of the authorities that replaced it or make it up. A
        neighbour with no published rows at all (e.g. an authority created after the data end) is
        read through the authority it replaced.

        Raises
        ------
        InputError
            When the authority is unknown or not in the neighbour model.
        """
        code = self.resolve(la)
        lists = self._sn_lists
        if code in lists:
            raw = lists[code][:SN_COUNT]
        else:
            related = joint_members(code) or list(SUCCESSORS.get(code, ()))
            parts = [c for c in related if c in lists]
            if not parts:
                raise InputError(
                    f"{self.name_of(code)} ({code}) is not in the statistical-neighbour model",
                    allowed="an English local authority in the DfE statistical-neighbour model",
                )
            raw = merge_neighbour_lists([lists[p] for p in parts], exclude={code, *related}, count=SN_COUNT)
        with_data = self._with_data
        out: list[str] = []
        for n in raw:
            if n not in with_data:
                older = [p for p in predecessors(n) if p in with_data]
                n = older[0] if older else n
            if n not in out and n != code:
                out.append(n)
        return out
