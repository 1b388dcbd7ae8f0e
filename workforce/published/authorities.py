"""Authorities whose codes changed, and the statistical-neighbour lists that follow them.

Local-government reorganisations replaced some authorities with new ones (new old-style codes),
and the DfE publishes some workforces as one joint return (``314 / 318``: Kingston upon Thames
and Richmond upon Thames through Achieving for Children; ``940 / 941``: North and West
Northamptonshire through Northamptonshire Children's Trust). The 2025 statistical-neighbour
model knows only today's authorities, so an authority that no longer exists takes the
neighbours of its successors, and a neighbour with no published rows is read through the
authority it replaced.
"""

from __future__ import annotations

from typing import Mapping, Sequence

# Predecessor -> successors, with the date of the change [DfE LA code lists; the statutory orders
# named]. Codes whose old-style code stayed the same while the E-code changed (Buckinghamshire
# 825 in 2020, North Yorkshire 815 and Somerset 933 in 2023) need no entry: the data name them
# by both codes and `Published.resolve` accepts either.
SUCCESSORS: Mapping[str, tuple[str, ...]] = {
    # The Bournemouth, Dorset and Poole (Structural Changes) Order 2018, 1 April 2019.
    "835": ("838",),  # Dorset County Council -> Dorset Council
    "836": ("839",),  # Poole -> Bournemouth, Christchurch and Poole
    "837": ("839",),  # Bournemouth -> Bournemouth, Christchurch and Poole
    # The Northamptonshire (Structural Changes) Order 2020, 1 April 2021.
    "928": ("940", "941"),  # Northamptonshire -> North / West Northamptonshire
    # The Cumbria (Structural Changes) Order 2022, 1 April 2023.
    "909": ("942", "943"),  # Cumbria -> Cumberland / Westmorland and Furness
}


def predecessors(code: str) -> list[str]:
    """Authorities that `code` replaced (empty when none)."""
    return [old for old, new in SUCCESSORS.items() if code in new]


def joint_members(code: str) -> list[str]:
    """Members of a joint return such as ``314 / 318`` (empty for a single authority)."""
    return [c.strip() for c in code.split("/")] if "/" in code else []


def merge_neighbour_lists(lists: Sequence[Sequence[str]], exclude: set[str], count: int) -> list[str]:
    """Interleave several ranked neighbour lists (rank 1 of each, then rank 2, ...), unique.

    Used for an authority that no longer exists (or a joint return): its neighbours are the
    nearest neighbours of the authorities that replaced it, closest first.
    """
    out: list[str] = []
    for rank in range(max((len(x) for x in lists), default=0)):
        for lst in lists:
            if rank < len(lst) and lst[rank] not in exclude and lst[rank] not in out:
                out.append(lst[rank])
    return out[:count]
