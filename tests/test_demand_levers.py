"""Levers: each moves only the flows it names, in the right direction."""

from __future__ import annotations

import numpy as np
import pytest

from demand_frames import MIX, synthetic_history
from workforce.demand.engine import _internal_flows, initial_state, simulate
from workforce.demand.levers import LEVERS, LeverSet, check_lever, phase, rates_for, rates_path
from workforce.demand.measures import PLACEMENT_TYPES
from workforce.demand.parameters import calibrate

#: lever -> (value set, {flow: +1 up / -1 down}) for the flows it names.
EXPECTED = {
    "early_help_diversion": (0.2, {"early_help": +1, "referrals": -1}),
    "front_door_screening": (0.05, {"nfa": +1}),
    "assessment_threshold": (0.1, {"not_in_need": +1, "assessed_in_need": -1}),
    "single_assessment": (1.0, {"not_in_need": +1, "assessed_in_need": +1}),
    "cin_step_down": (0.2, {"cin_closure": +1}),
    "cp_plan_length": (-0.2, {"cp_step_down": +1}),
    "cp_repeat_plans": (-0.1, {"cp_start": -1}),
    "care_entries": (-0.2, {"care_entry_from_cin": -1, "care_entry_from_cp": -1}),
    "care_exits": (0.2, {"care_exit_home": +1}),
    "rereferral": (-0.3, {"rereferrals": -1}),
    "ifa_to_in_house": (0.5, {"care_entries:ifa": -1, "care_entries:in_house_foster": +1}),
    "residential_to_foster": (0.5, {"care_entries:childrens_home": -1, "care_entries:in_house_foster": +1}),
}


@pytest.fixture(scope="module")
def cal():
    history, share = synthetic_history()
    return calibrate(history, judgements={"care_entry_share_from_cp": share, "phase_in_quarters": 1.0})


def flow_rates(rates) -> dict[str, float]:
    """The rate behind every flow: hazards per flow (care entries also per placement type) and
    the shares that split the referrals."""
    out: dict[str, float] = {"early_help": rates.early_help, "referrals": 1.0 - rates.early_help, "nfa": rates.nfa,
                             "rereferrals": rates.rereferral}
    for name, src, dst, rate in _internal_flows(rates):
        out[name] = out.get(name, 0.0) + rate
        if name.startswith("care_entry"):
            k = f"care_entries:{PLACEMENT_TYPES[dst - 3]}"
            out[k] = out.get(k, 0.0) + rate
    return out


def test_every_lever_is_tested():
    assert set(EXPECTED) == set(LEVERS)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_lever_changes_only_its_own_rates(cal, name):
    value, moves = EXPECTED[name]
    assert set(moves) == set(LEVERS[name].moves)
    base = flow_rates(rates_for(cal, LeverSet(), 1, MIX))
    moved = flow_rates(rates_for(cal, LeverSet({name: value}), 1, MIX))
    changed = {k for k in base if not np.isclose(base[k], moved[k], rtol=1e-12, atol=1e-15)}
    declared = set(moves)
    if declared & {"care_entry_from_cin", "care_entry_from_cp"}:
        # fewer entries in total are fewer entries of every placement type
        changed = {c for c in changed if not c.startswith("care_entries:")}
    assert changed == declared, f"{name} moved {sorted(changed)}, declares {sorted(declared)}"
    for flow, sign in moves.items():
        assert np.sign(moved[flow] - base[flow]) == sign, f"{name}: {flow} moved the wrong way"


@pytest.mark.parametrize("name", list(EXPECTED))
def test_lever_moves_its_flows_the_right_way_in_the_first_quarter(cal, name):
    value, moves = EXPECTED[name]
    state = initial_state(cal.start(cal.years[-1]), MIX)
    closures = [cal.closures.iloc[-1] / 4.0] * 4
    new = [cal.value("new_referrals_per_quarter")]

    def first(levers):
        sim = simulate(state, [rates_for(cal, levers, 1, MIX)], new, closures)
        flows = sim.flows.iloc[0].to_dict()
        for ptype in PLACEMENT_TYPES:
            flows[f"care_entries:{ptype}"] = float(sim.entries[ptype].iloc[0])
        return flows

    base, moved = first(LeverSet()), first(LeverSet({name: value}))
    for flow, sign in moves.items():
        assert np.sign(moved[flow] - base[flow]) == sign, f"{name}: {flow} {base[flow]:.3f} -> {moved[flow]:.3f}"


def test_levers_phase_in(cal):
    slow = cal.with_values({"phase_in_quarters": 4.0}, "test")
    levers = LeverSet({"early_help_diversion": 0.2})
    shares = [rates_for(slow, levers, q, MIX).early_help for q in (1, 2, 4, 8)]
    assert shares == pytest.approx([0.05, 0.1, 0.2, 0.2])
    assert phase(3, 4) == pytest.approx(0.75)


def test_rates_path_is_rates_for_each_quarter_computed_once_per_phase(cal):
    slow = cal.with_values({"phase_in_quarters": 4.0}, "test")
    levers = LeverSet({"early_help_diversion": 0.2, "care_exits": 0.2})
    path = rates_path(slow, levers, 8, MIX)
    assert path == [rates_for(slow, levers, q, MIX) for q in range(1, 9)]
    assert len({id(r) for r in path}) == 4  # phasing in over quarters 1-4, then in full
    plain = rates_path(slow, LeverSet(), 8, MIX)
    assert plain == [rates_for(slow, LeverSet(), q, MIX) for q in range(1, 9)]
    assert len({id(r) for r in plain}) == 1  # no lever: one Rates for the whole run


def test_out_of_range_or_unknown_levers_are_refused():
    with pytest.raises(ValueError, match="outside"):
        check_lever("early_help_diversion", 0.9)
    with pytest.raises(ValueError, match="unknown lever"):
        LeverSet({"magic": 1.0})
