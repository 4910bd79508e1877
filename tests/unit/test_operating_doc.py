"""docs/operating.md says each step with its command: every `rekap …` command it names exists,
with every option it gives (an operator follows the page on election night, not the help)."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from rekap.cli.main import app

DOC = Path(__file__).resolve().parents[2] / "docs" / "operating.md"
runner = CliRunner()


def commands() -> list[list[str]]:
    """Each inline code span of the page that runs ``rekap``, as its words (a span may wrap
    onto the next line of the page)."""
    spans = re.findall(r"`(rekap [^`]+)`", DOC.read_text(encoding="utf-8"))
    return [span.split() for span in spans]


def test_every_command_on_the_operators_page_exists_with_its_options() -> None:
    found = commands()
    assert len(found) >= 15
    for words in found:
        path = []
        for word in words[1:]:
            if not re.fullmatch(r"[a-z][a-z-]*", word):
                break
            path.append(word)
        shown = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
        assert shown.exit_code == 0, (words, shown.output)
        assert path, words
        said = " ".join(shown.output.split())
        for option in (w.split("=")[0] for w in words if w.startswith("--")):
            assert option in said, (" ".join(words), option)
