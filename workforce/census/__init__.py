"""The DfE children's social work workforce (CSWW) census as the front door.

Every English authority compiles the census each autumn; these modules make the returns it
already produces enough to plan from:

* :func:`check_returns` — the pre-submission check: each return against its year's schema
  (2021-2025, bundled under `workforce/data/csww/`) and the DfE data-quality rules, one problem
  per row with a plain-English fix (`workforce census check`);
* :func:`import_returns` — returns of any year to `hr_history`, every record kept, merged or
  refused and counted (`workforce census import`);
* :func:`plan_inputs` — a folder of yearly returns to what planning needs: `hr_history`,
  `workers`, the funded establishment and named values for the plans' assumptions;
* :mod:`workforce.census.writer` — returns of any year from worker records (tests, benchmarks,
  the demo authority).

Modules: `reader` (safe parsing), `schema` (bundled XSDs, year detection, validation), `records`
(typed, pseudonymised records), `rules` (DfE rules), `load` (a set of returns read together),
`history` (records to `hr_history`), `importer`, `check`, `planning`, `writer`, `problems`.
SWE numbers and birth dates never leave the package: records are named by position and a salted
pseudonym.
"""

from __future__ import annotations

from workforce.lazy import lazy_exports

__getattr__, __all__ = lazy_exports(__name__, {
    "check_returns": "workforce.census.check",
    "CensusCheck": "workforce.census.check",
    "import_returns": "workforce.census.importer",
    "CensusImport": "workforce.census.importer",
    "plan_inputs": "workforce.census.planning",
    "CensusPlanInputs": "workforce.census.planning",
    "cases_check": "workforce.census.planning",
    "ImportSummary": "workforce.census.history",
    "CensusProblem": "workforce.census.problems",
    "pseudonym": "workforce.census.records",
})
