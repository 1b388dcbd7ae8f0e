"""Statistical disclosure control for the fairness audit: the smallest counts it may show.

Kept apart from :mod:`workforce.retention.fairness` (which imports scikit-learn) so that the CLI's
options and the workbooks' column notes quote the same numbers without loading it.
"""

#: Fewest people a row of the audit may show figures for. [ONS statistical disclosure control, the
#: threshold rule of 10 for research outputs (celsius.lshtm.ac.uk/onscell.html: one part of ONS's
#: output checking, which judges each output in context)]. Applied to a group's people only: a
#: rate shown for a group of 10 or more may rest on fewer (7 leavers of 27 snapshots); offers
#: are held to `MIN_OFFERED`. May be raised (`churn audit --min-group`), never lowered.
MIN_GROUP = 10

#: A lever offered to fewer than this many people of a group (but some) is not audited for that
#: characteristic at all: with the plan naming who was offered it, "1 of 27" points at a person,
#: and suppressing that group alone would leave it to subtraction from the total offered.
#: [DEFAULT] 3: one or two people offered is a count that points at a person.
MIN_OFFERED = 3
