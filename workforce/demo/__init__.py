"""The synthetic demo authority: workers, children's cases, six years of HR snapshots and the
funded establishment, generated deterministically from a seed so that every part of `workforce`
can be tried, tested and benchmarked without personal data. Nothing here describes a real
authority.

Modules, in the order the generator runs:

* :mod:`~workforce.demo.parameters`: every assumption with its basis and range; the profiles
  (`default`: England's 2023 middle on every census measure; `sandwell`: Sandwell's published
  2018 figures);
* :mod:`~workforce.demo.organisation`: localities, teams by type, the children's demand, and the
  funded posts sized from that demand through the capacity model (`workforce.caseload`);
* :mod:`~workforce.demo.leaving` and :mod:`~workforce.demo.simulation`: the workforce over the
  snapshots, who leaves and why, recruitment and agency cover;
* :mod:`~workforce.demo.today`: today's allocation by the product's own manager baseline
  (`workforce.allocation.baseline_allocate`) under every hard rule;
* :mod:`~workforce.demo.authority`, :mod:`~workforce.demo.files`: the typed tables and files;
* :mod:`~workforce.demo.summary`: the census measures (`workforce.measures`) and capacity
  against demand.

The demo's drivers of leaving are the generator's assumptions (brief section 4). A churn model
trained on the demo recovers them, which proves nothing about a real authority: real evidence
comes from the authority's own history.

Run ``python -m workforce.demo --out examples --seed 7 --scale 0.12`` to regenerate `examples/`.
"""

from workforce.demo.authority import TRUTH_COLUMNS, DemoAuthority, generate_authority
from workforce.demo.cli import main
from workforce.demo.files import write_authority
from workforce.demo.leaving import leaving_logit, leaving_probabilities, systematic_sample
from workforce.demo.organisation import typical_team_posts
from workforce.demo.parameters import (
    PROFILES,
    TEAM_TYPES,
    DemoParameters,
    parameter_range,
    parameter_table,
    profile_parameters,
)
from workforce.demo.summary import annual_turnover, authority_summary, capacity_vs_demand, census_indicators, vacancies

__all__ = [
    "PROFILES", "TEAM_TYPES", "TRUTH_COLUMNS", "DemoAuthority", "DemoParameters", "annual_turnover",
    "authority_summary", "capacity_vs_demand", "census_indicators", "generate_authority", "leaving_logit",
    "leaving_probabilities", "main", "parameter_range", "parameter_table", "profile_parameters",
    "systematic_sample", "typical_team_posts", "vacancies", "write_authority",
]
