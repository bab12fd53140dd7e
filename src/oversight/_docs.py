"""Generate docs/settings.md and docs/cli.md from the code, so they cannot fall behind.

Run `python -m oversight._docs` after changing a setting or a command; a test fails when the
committed pages differ from what this module generates.
"""

from __future__ import annotations

from pathlib import Path

import typer
from typer.testing import CliRunner

from oversight.config import SETTINGS

DOCS = Path(__file__).resolve().parents[2] / "docs"


def settings_markdown() -> str:
    lines = ["# Settings", "", "Generated from `oversight/config.py` by `python -m oversight._docs`.", "",
             "| setting | default | what it does |", "|---|---|---|"]
    for s in SETTINGS:
        lines.append(f"| `{s.name}` | `{s.default}` | {s.help} |")
    return "\n".join(lines) + "\n"


def _commands(app: typer.Typer, path: list[str]) -> list[list[str]]:
    found = [path]
    for command in app.registered_commands:
        found.append([*path, command.name or command.callback.__name__.replace("_", "-")])  # type: ignore[union-attr]
    for group in app.registered_groups:
        found.extend(_commands(group.typer_instance, [*path, group.name]))  # type: ignore[arg-type, list-item]
    return found


def cli_markdown() -> str:
    from oversight.cli import app

    runner = CliRunner()
    lines = ["# Command line", "", "Generated from `oversight --help` by `python -m oversight._docs`.", ""]
    for path in _commands(app, ["oversight"]):
        result = runner.invoke(app, [*path[1:], "--help"], env={"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"})
        text = "\n".join(line.rstrip() for line in result.output.strip("\n").splitlines())
        text = text.replace("Usage: root", "Usage: oversight")
        lines.extend([f"## `{' '.join(path)}`", "", "```", text, "```", ""])
    return "\n".join(lines)


def command_paths() -> list[str]:
    """Every command, e.g. 'oversight ingest police-uk'."""
    return [line[4:-1] for line in cli_markdown().splitlines() if line.startswith("## `")]


def write() -> None:
    (DOCS / "settings.md").write_text(settings_markdown())
    (DOCS / "cli.md").write_text(cli_markdown())


if __name__ == "__main__":
    write()
