"""Blocking rule: a result counts only with every vote number recorded.

The identities run only on the numbers recorded, so a result missing a vote number broke
none of them and was counted: its paslon summed into a region's totals while its suara sah
did not (Sirekap's 2024 data has thousands of such TPS, some with no vote at all), and a
region's published paslon votes no longer added up to its suara sah. A result with no number
at all is not a result (photos waiting to be read) and is left to the stages before.
"""

from __future__ import annotations

from collections.abc import Iterator

from rekap.rules.finding import Severity
from rekap.rules.rule import Rule, RuleContext, TpsRule, Violation

TOTALS = ("suara_sah", "suara_tidak_sah", "suara_total")
VOTES_RULE = "F-SUARA-LENGKAP"


def check_votes_recorded(ctx: RuleContext) -> Iterator[Violation]:
    values = ctx.result.values
    if not values:
        return
    needed = (*(f.id for f in ctx.form.vote_fields), *TOTALS)
    missing = tuple(field for field in needed if field not in values)
    if missing:
        yield Violation(missing, {"missing": ", ".join(missing)})


COMPLETENESS_RULES = (
    TpsRule(
        Rule(
            VOTES_RULE,
            Severity.BLOCKING,
            "Every vote number is recorded: each paslon, suara sah, tidak sah and the total",
            "Jumlah suara belum lengkap: {missing} tidak tercatat",
            "The votes are incomplete: {missing} not recorded",
            ("paslon_*", *TOTALS),
        ),
        check_votes_recorded,
    ),
)
