"""The console examples of docs/cli.md run, in order, and print what the page shows.

Each ``$ socialcommerce-rules ...`` line of a ``console`` block is run through
``main`` in a directory that sees the repository's ``examples``, ``src`` and
``tests``; its standard error and output must match the lines under it, where
``...`` stands for any text (as in a doctest with ELLIPSIS).  ``| head -n N``
keeps the first N lines.
"""

from __future__ import annotations

import doctest
import re
import shlex
import textwrap
from pathlib import Path

import pytest

from socialcommerce_rules.cli import main

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "cli.md"
BLOCK = re.compile(r"^( *)```console\n(.*?)^\1```$", re.MULTILINE | re.DOTALL)


def examples() -> list[tuple[str, str]]:
    """(command line, expected output) for every ``$`` line of the page, in order."""
    found: list[tuple[str, str]] = []
    for _, body in BLOCK.findall(PAGE.read_text(encoding="utf-8")):
        command: str | None = None
        expected: list[str] = []
        for line in textwrap.dedent(body).splitlines():
            if line.startswith("$ "):
                if command is not None:
                    found.append((command, "\n".join(expected)))
                command, expected = line[2:], []
            else:
                expected.append(line)
        if command is not None:
            found.append((command, "\n".join(expected)))
    return found


def test_the_page_has_an_example_of_every_command() -> None:
    used = {shlex.split(command)[1] for command, _ in examples()}

    assert {"demo", "validate", "run", "explain", "balances", "export", "--help"} <= used


def test_the_console_examples_print_what_the_page_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("examples", "src", "tests"):
        (tmp_path / name).symlink_to(ROOT / name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "100")
    checker = doctest.OutputChecker()

    for command, expected in examples():
        words = shlex.split(command)
        keep = None
        if "|" in words:
            words, pipe = words[: words.index("|")], words[words.index("|") + 1 :]
            assert pipe[:2] == ["head", "-n"], command
            keep = int(pipe[2])
        assert words[0] == "socialcommerce-rules", command
        main(words[1:])
        captured = capsys.readouterr()
        got = captured.err + captured.out
        if keep is not None:
            got = "".join(got.splitlines(keepends=True)[:keep])
        assert checker.check_output(expected + "\n", got, doctest.ELLIPSIS), (
            f"$ {command}\n--- the page shows:\n{expected}\n--- the command prints:\n{got}"
        )
