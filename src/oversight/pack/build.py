"""`build_pack`: a borough's monthly stop and search pack, written as HTML and as a tagged PDF."""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from oversight.pack.data import Pack, boroughs, pack_data
from oversight.pack.questions import Questions, read_questions
from oversight.pack.render import render_html
from oversight.report.render import write_pdf
from oversight.warehouse import connect


@dataclass(frozen=True)
class PackFiles:
    """What `build_pack` wrote and how long it took."""

    pack: Pack
    html: Path
    pdf: Path | None
    pages: int
    seconds: float
    warnings: list[str] = field(default_factory=list)


def build_pack(warehouse: str | os.PathLike[str], area: str, month: str, out: str | os.PathLike[str] = "packs",
               *, questions: str | os.PathLike[str] | None = None, pdf: bool = True) -> PackFiles:
    """Write `oversight-pack-stop-search-<borough>-<YYYY-MM>.html` (and `.pdf`) into `out`.
    `questions` is the group's questions file (docs/community-monitoring.md). Raises
    OversightError for a borough or month without figures, or a questions file that breaks the format."""
    started = time.perf_counter()
    con = connect(warehouse, read_only=True)
    try:
        pack = pack_data(con, area, month)
        asked = None
        if questions is not None:
            known = boroughs(con)
            found = read_questions(questions, lambda text: any(b.matches(text) for b in known))
            asked = Questions.of(found, pack.borough.matches)
    finally:
        con.close()
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"oversight-pack-stop-search-{pack.borough.slug}-{pack.month_key}"
    html = render_html(pack, asked, questions_file=Path(questions).name if questions else "")
    html_path = folder / f"{stem}.html"
    html_path.write_text(html, encoding="utf-8")
    pages, pdf_path, warnings = 0, None, list[str]()
    if pdf:
        pdf_path = folder / f"{stem}.pdf"
        pages, warnings = write_pdf(html, pdf_path)
    return PackFiles(pack, html_path, pdf_path, pages, time.perf_counter() - started, warnings)


def pdf_bytes(html: str) -> bytes:
    """The tagged PDF of rendered HTML (a pack, the grants update), as bytes (for the site)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "pack.pdf"
        write_pdf(html, path)
        return path.read_bytes()
