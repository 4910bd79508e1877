"""The rule catalogue as Markdown: docs/rules.md is this function's output, checked by a test."""

from __future__ import annotations

from rekap.rules.registry import ALL_RULES


def rules_markdown() -> str:
    lines = [
        "# Validation rules",
        "",
        "Generated from the rule registry (`rekap rules --markdown`); a test fails when this file",
        "and the registry disagree. Blocking rules (`F-…`) stop a result from being counted until",
        "it is verified; warnings (`W-…`) flag it for a look. A rule runs only when every field it",
        "reads was recorded. Messages are templates over the finding's evidence; a count in a",
        "message has its thousands grouped as the portal writes numbers (`12.345` in Indonesian,",
        "`12,345` in English) and a share its decimal mark (`0,812` in Indonesian, `0.812` in",
        "English), while the evidence keeps plain numbers (`12345`, `0.812`).",
        "",
        "| id | severity | what it checks | reads | exemptions | message (id) | message (en) |",
        "|---|---|---|---|---|---|---|",
    ]
    for rule in ALL_RULES:
        reads = ", ".join(f"`{r}`" for r in rule.reads) or "photo metadata"
        cells = (
            f"`{rule.id}`",
            rule.severity.value,
            rule.title,
            reads,
            rule.exemptions or "none",
            rule.message_id,
            rule.message_en,
        )
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"
