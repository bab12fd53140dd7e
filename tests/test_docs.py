"""Generated docs are up to date; every setting and command is documented."""

from __future__ import annotations

from oversight import _docs
from oversight.config import SETTINGS


def test_settings_page_is_up_to_date():
    assert (_docs.DOCS / "settings.md").read_text() == _docs.settings_markdown(), "run: python -m oversight._docs"


def test_cli_page_is_up_to_date():
    assert (_docs.DOCS / "cli.md").read_text() == _docs.cli_markdown(), "run: python -m oversight._docs"


def test_every_setting_has_help_text():
    for setting in SETTINGS:
        assert len(setting.help) > 20, setting.name


def test_every_command_is_in_the_cli_page():
    page = (_docs.DOCS / "cli.md").read_text()
    for path in _docs.command_paths():
        assert f"## `{path}`" in page
    assert "## `oversight ingest police-uk`" in page
