"""The `oversight` command line: a thin layer over the package. Run `oversight --help`."""

from __future__ import annotations

import json
import sys
from collections import Counter
from enum import Enum
from pathlib import Path
from typing import Annotated

import duckdb
import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from oversight import config
from oversight.errors import OversightError, WarehouseError
from oversight.measures import build_settings
from oversight.measures.catalogue import load_catalogue
from oversight.measures.engine import build as build_measures
from oversight.measures.periods import PERIOD_HELP
from oversight.measures.query import catalogue_status, measure_values
from oversight.present.figure import Figure
from oversight.present.health import folded_months
from oversight.present.words import CHANGE_COLUMNS, change_columns
from oversight.records.cli import app as records_app
from oversight.sources.police_uk import ingest_police_uk, vocab
from oversight.sources.reference import all_datasets, ingest_reference, place_loaded_records
from oversight.sources.report import IngestReport
from oversight.warehouse import connect
from oversight.warehouse.health import health_ledger, reference_health
from oversight.warehouse.snapshot import publish_snapshot
from oversight.warehouse.summary import loaded_summary

app = typer.Typer(
    help="Oversight: measures, dashboards and reports for police oversight, from open data.",
    no_args_is_help=True,
    add_completion=False,
)
ingest_app = typer.Typer(help="Load data into the warehouse.", no_args_is_help=True)
app.add_typer(ingest_app, name="ingest")
pack_app = typer.Typer(help="Write monthly packs for community monitoring groups.", no_args_is_help=True)
app.add_typer(pack_app, name="pack")
app.add_typer(records_app, name="records")

# Piped output is read in files and CI logs, not an 80-column terminal.
out = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 160)


class OutputFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


_state: dict[str, Path] = {}


@app.callback()
def main(
    warehouse: Annotated[
        Path | None,
        typer.Option(
            help=f"Warehouse file. Default: ${config.WAREHOUSE_ENV}, else '{config.default('warehouse')}'.",
            show_default=False,
        ),
    ] = None,
    force: Annotated[
        str | None,
        typer.Option(
            "--force",
            help="police.uk force id the site, report and build are about (see 'oversight forces'). "
                 f"Default: the setting default_force ('{config.default('default_force')}').",
            show_default=False,
        ),
    ] = None,
) -> None:
    _state["warehouse"] = config.warehouse_path(warehouse)
    if force is not None:
        if force not in vocab.forces():
            _fail(OversightError(f"{force!r} is not a police.uk force id; 'oversight forces' lists them",
                                 field="force"))
        config.choose("default_force", force)


def _warehouse() -> Path:
    return _state.get("warehouse") or config.warehouse_path()


def _fail(exc: OversightError, code: int = 2) -> None:
    err.print(f"[bold red]error:[/] {exc}", highlight=False)
    raise typer.Exit(code)


@ingest_app.command("police-uk")
def ingest_police_uk_command(
    paths: Annotated[list[Path], typer.Argument(help="police.uk zips, folders, .csv or .csv.gz files.")],
    force: Annotated[
        str | None,
        typer.Option(help="police.uk force id for files whose name does not give it (see 'oversight forces')."),
    ] = None,
    reload: Annotated[bool, typer.Option(help="Load files again even when unchanged since the last load.")] = False,
    quiet: Annotated[bool, typer.Option(help="Print only failures and the totals line.")] = False,
) -> None:
    """Load police.uk street-level crime, outcomes and stop-and-search files.

    Each file's kind is recognised from its header. Rows that break a rule are quarantined with
    the reason; a file that cannot be read is reported and the others still load. At a terminal,
    a progress bar on stderr shows the files read, then loaded (not with --quiet). The exit code
    is 1 when any file failed.
    """
    try:
        con = connect(_warehouse())
    except OversightError as exc:
        _fail(exc, code=1)  # nothing could be loaded: a failed load, not a usage error
    # At a terminal only: files are first read (their number not yet known), then loaded.
    with Progress(
        BarColumn(), DownloadColumn(), TimeRemainingColumn(), TextColumn("{task.description}"),
        console=err, transient=True, disable=quiet or not err.is_terminal,
    ) as bar:
        task = bar.add_task("", total=None)
        report = ingest_police_uk(
            con, paths, force=force, reload=reload,
            progress=lambda what, done, total: bar.update(task, completed=done, total=total, description=what),
        )
    try:
        placed = place_loaded_records(con)
        con.close()
    except duckdb.Error as exc:  # the disk filled up, or the load already broke the connection
        _print_ingest_report(report, quiet=quiet, title="police.uk files")
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        _fail(WarehouseError(f"cannot write to the warehouse: {reason}", path=str(_warehouse())), code=1)
    _print_ingest_report(report, quiet=quiet, title="police.uk files")
    if not quiet:
        for line in placed:
            out.print(f"[cyan]note:[/] {line}", highlight=False)
    if report.failed:
        raise typer.Exit(1)


@ingest_app.command("reference")
def ingest_reference_command(
    roots: Annotated[
        list[Path],
        typer.Argument(help="Data folders laid out like the shared data set (geo/, mps/, population/); "
                            "each dataset is read from the first folder that has it."),
    ],
    dataset: Annotated[
        list[str] | None, typer.Option(help="Load only this dataset (repeatable; see 'oversight datasets').")
    ] = None,
    reload: Annotated[bool, typer.Option(help="Load files again even when unchanged since the last load.")] = False,
    quiet: Annotated[bool, typer.Option(help="Print only failures and the totals line.")] = False,
) -> None:
    """Load geography, population denominators and official series (MPS crime, PAS, Home Office).

    Rows that break a rule are quarantined with the reason. The exit code is 1 when a file
    failed or a dataset had no file under any of the folders.
    """
    known = {d.name for d in all_datasets()}
    unknown = sorted(set(dataset or ()) - known)
    if unknown:
        _fail(OversightError(f"unknown dataset {', '.join(unknown)}; known: {', '.join(sorted(known))}"))
    try:
        con = connect(_warehouse())
    except OversightError as exc:
        _fail(exc)
    try:
        report = ingest_reference(con, roots, only=dataset, reload=reload)
    finally:
        con.close()
    _print_ingest_report(report, quiet=quiet, title="reference files")
    if report.failed:
        raise typer.Exit(1)


@ingest_app.command("partner")
def ingest_partner_command(
    files: Annotated[list[Path], typer.Argument(help="Partner .csv files in the format of docs/partner-data.md.")],
    reload: Annotated[bool, typer.Option(help="Load files again even when unchanged since the last load.")] = False,
    quiet: Annotated[bool, typer.Option(help="Print only failures and the totals line.")] = False,
) -> None:
    """Load partner series (victim satisfaction, CPS, NHS, reoffending...) from tidy partner files.

    Every row is checked; a row that breaks a rule is quarantined with line, field and reason. A
    file replaces what the same file name loaded before; where two files give the same measure,
    period, area and breakdown, the file loaded last wins (view partner_value). The exit code is
    1 when any file failed.
    """
    # Imported here so this command stays one self-contained block of the CLI module.
    from oversight.sources.partner import ingest_partner

    try:
        con = connect(_warehouse())
    except OversightError as exc:
        _fail(exc)
    try:
        report = ingest_partner(con, files, reload=reload)
    finally:
        con.close()
    _print_ingest_report(report, quiet=quiet, title="partner files")
    if report.failed:
        raise typer.Exit(1)


@app.command()
def datasets() -> None:
    """List the reference datasets, the files each reads and what it holds."""
    table = Table(title="reference datasets", title_justify="left")
    table.add_column("dataset")
    table.add_column("table")
    table.add_column("files (under a data folder)")
    table.add_column("what it holds")
    for d in all_datasets():
        table.add_row(d.name, d.table, "\n".join(d.patterns), d.description)
    out.print(table)


def _print_ingest_report(report: IngestReport, *, quiet: bool, title: str) -> None:
    if not quiet:
        table = Table(title=title, title_justify="left")
        for name, justify in (("file", "left"), ("dataset", "left"), ("force", "left"), ("months", "left"),
                              ("read", "right"), ("loaded", "right"), ("quarantined", "right")):
            table.add_column(name, justify=justify)  # type: ignore[arg-type]
        for f in report.files:
            months = f"{f.months[0]} … {f.months[-1]}" if len(f.months) > 1 else "".join(f.months)
            if f.unchanged:
                table.add_row(Path(f.name).name, f.dataset, f.force, "unchanged, skipped", "", "", "")
            elif f.ok:
                table.add_row(Path(f.name).name, f.dataset, f.force, months,
                              f"{f.rows_read:,}", f"{f.rows_loaded:,}", f"{f.rows_quarantined:,}")
        out.print(table)
    shared = Counter(f.error for f in report.files if not f.ok)
    for f in report.files:
        if not f.ok and shared[f.error] > 2:  # one cause (a full disk): one line, not one per file
            named = [g.name for g in report.files if g.error == f.error]
            if f.name == named[0]:
                err.print(f"[bold red]failed:[/] {len(named)} files, {named[0]} to {named[-1]}: {f.error}",
                          highlight=False)
        elif not f.ok:
            err.print(f"[bold red]failed:[/] {f.name}: {f.error}", highlight=False)
        elif not quiet:
            for line in f.problems:
                out.print(f"[yellow]quarantine:[/] {Path(f.name).name}, {line}", highlight=False)
            for line in f.notes:
                out.print(f"[cyan]note:[/] {Path(f.name).name}, {line}", highlight=False)
    t = report.totals()
    skipped = sum(1 for f in report.files if f.unchanged)
    out.print(
        f"{t['files']} files ({t['failed']} failed, {skipped} unchanged): {t['rows_read']:,} rows read, "
        f"{t['rows_loaded']:,} loaded, {t['rows_quarantined']:,} quarantined "
        f"(see 'oversight quarantine').",
        highlight=False,
    )


@app.command()
def health(
    format: Annotated[OutputFormat, typer.Option("--format", help="table, json or csv.")] = OutputFormat.table,
    dataset: Annotated[
        str | None,
        typer.Option(help="street, outcomes, stop-and-search, 'reference', or a reference dataset name."),
    ] = None,
    force: Annotated[str | None, typer.Option(help="police.uk force id.")] = None,
) -> None:
    """The data-health ledger: per force x dataset x month, what was loaded and what looks wrong."""
    try:
        con = connect(_warehouse(), read_only=True)
    except OversightError as exc:
        _fail(exc)
    declared = all_datasets()
    reference_names = {d.name for d in declared}
    if dataset == "reference" or dataset in reference_names:
        chosen = [d for d in declared if dataset in ("reference", d.name)]
        ledger = reference_health(con, chosen)
    else:
        ledger = health_ledger(con, dataset=dataset, force=force)
    if format is OutputFormat.csv:
        ledger.to_csv(sys.stdout, index=False)
    elif format is OutputFormat.json:
        rows = json.loads(ledger.to_json(orient="records", date_format="iso"))
        out.print_json(json.dumps({"ok": True, "data": rows, "meta": {"warehouse": str(_warehouse())}}))
    elif "table" in ledger.columns:
        _print_reference_health(ledger)
    else:
        _print_health_table(ledger)
        if dataset is None and force is None:
            _print_reference_health(reference_health(con, declared))


def _print_reference_health(ledger: pd.DataFrame) -> None:
    table = Table(title="reference datasets", title_justify="left")
    for name in ("dataset", "files", "rows", "quarantined", "covers", "notes"):
        table.add_column(name, justify="right" if name in {"files", "rows", "quarantined"} else "left")
    for r in ledger.itertuples(index=False):
        covers = "" if r.first_period is None or pd.isna(r.first_period) else (
            f"{pd.Timestamp(r.first_period):%Y-%m} … {pd.Timestamp(r.last_period):%Y-%m}")
        table.add_row(r.dataset, f"{r.files:,}", f"{r.rows:,}", f"{r.quarantined:,}", covers,
                      f"[yellow]{r.notes}[/]" if r.notes else "")
    out.print(table)


def _print_health_table(ledger) -> None:  # type: ignore[no-untyped-def]
    """One table per dataset and force; runs of missing months are folded into one line."""
    style = {"ok": "green", "partial": "yellow", "missing": "red"}

    def pct(value: float | None) -> str:
        return "" if value is None or value != value else f"{value:.0%}"  # value != value: NaN

    for (dataset, force), group in ledger.groupby(["dataset", "force"], sort=True):
        table = Table(title=f"{dataset} · {force}", title_justify="left")
        for name in ("month", "status", "rows", "quarantined", "no coords", "no LSOA", "at 00:00", "notes"):
            table.add_column(name, justify="left" if name in {"month", "status", "notes"} else "right",
                             no_wrap=name != "notes")
        for r in folded_months(group.to_dict("records")):
            month = r["from"] if r["months"] == 1 else f"{r['from']} … {r['to']}"
            table.add_row(
                month, f"[{style[r['status']]}]{r['status']}[/]", f"{r['rows']:,}", f"{r['quarantined']:,}",
                pct(r["share_no_coordinates"]), pct(r["share_no_lsoa"]), pct(r["share_midnight"]), r["notes"],
            )
        out.print(table)


@app.command()
def summary() -> None:
    """What the warehouse holds: per dataset and force, months covered, rows, and health flags."""
    try:
        con = connect(_warehouse(), read_only=True)
    except OversightError as exc:
        _fail(exc)
    frame = loaded_summary(con)
    table = Table(title=f"Warehouse {_warehouse()}", title_justify="left")
    for column in frame.columns:
        table.add_column(column.replace("_", " "), justify="right" if frame[column].dtype.kind in "iuf" else "left")
    for record in frame.itertuples(index=False):
        table.add_row(*[f"{v:,}" if isinstance(v, int) else str(v) for v in record])
    out.print(table)
    out.print("Details per month: 'oversight health'. Rows set aside: 'oversight quarantine'.")


@app.command()
def quarantine(
    format: Annotated[OutputFormat, typer.Option("--format", help="table, json or csv.")] = OutputFormat.table,
    limit: Annotated[int, typer.Option(help="Rows to show in the table (all rows for csv and json).")] = 50,
) -> None:
    """Rows set aside by the loaders, with file, line, field and reason."""
    try:
        con = connect(_warehouse(), read_only=True)
    except OversightError as exc:
        _fail(exc)
    frame = con.execute(
        "SELECT dataset, force, strftime(month, '%Y-%m') AS month, source_file, source_line, "
        "field, value, reason, record "
        "FROM quarantine ORDER BY source_file, source_line"
    ).df()
    if format is OutputFormat.csv:
        frame.to_csv(sys.stdout, index=False)
    elif format is OutputFormat.json:
        out.print_json(json.dumps({"ok": True, "data": json.loads(frame.to_json(orient="records"))}))
    else:
        table = Table(title=f"Quarantine: {len(frame):,} rows", title_justify="left")
        for name in ("file", "line", "field", "reason"):
            table.add_column(name)
        for r in frame.head(limit).itertuples(index=False):
            table.add_row(Path(r.source_file).name, str(r.source_line), str(r.field), r.reason)
        out.print(table)


@app.command()
def forces() -> None:
    """police.uk force ids and names, for --force."""
    table = Table(title="police.uk forces", title_justify="left")
    table.add_column("id")
    table.add_column("name")
    for fid, name in vocab.forces().items():
        table.add_row(fid, name)
    out.print(table)


@app.command()
def build() -> None:
    """Compute every measure in the catalogue into the measures table (replaced atomically).

    Prints, per measure, its status and rows; measures waiting for data say what is missing.
    Then publishes a snapshot of the warehouse, which a running `oversight serve` picks up
    without a restart. The exit code is 1 when a measure's definition failed to run.
    """
    try:
        con = connect(_warehouse())
    except OversightError as exc:
        _fail(exc)
    try:
        catalogue = load_catalogue()
        report = build_measures(con, catalogue)
    except OversightError as exc:
        _fail(exc)
    finally:
        con.close()
    try:
        published = publish_snapshot(_warehouse())  # what `oversight serve` shows from now on
    except OversightError as exc:
        _fail(exc)
    table = Table(title="measures built", title_justify="left")
    for name, justify in (("measure", "left"), ("status", "left"), ("rows", "right"), ("seconds", "right"),
                          ("detail", "left")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    colour = {"ok": "green", "awaiting data": "yellow", "failed": "red"}
    for m in report.measures:
        table.add_row(
            m.measure, f"[{colour[m.status]}]{m.status}[/]", f"{m.rows:,}", f"{m.seconds:.2f}", m.detail or ""
        )
    out.print(table)
    done = sum(1 for m in report.measures if m.status == "ok")
    out.print(
        f"{done} of {len(report.measures)} measures computed, {report.rows:,} rows in {report.seconds:.1f} s "
        f"({len(report.failed)} failed); published for the site as {published.name}.",
        highlight=False,
    )
    if report.failed:
        raise typer.Exit(1)


@app.command()
def measures(
    format: Annotated[OutputFormat, typer.Option("--format", help="table, json or csv.")] = OutputFormat.table,
) -> None:
    """The measure catalogue with each measure's data status (latest period, areas, or awaiting data)."""
    try:
        con = connect(_warehouse(), read_only=True)
        frame = catalogue_status(con)
    except OversightError as exc:
        _fail(exc)
    if format is not OutputFormat.table:
        _print_frame(frame, format)
        return
    table = Table(title="measures", title_justify="left")
    for name in ("measure", "title", "priority", "unit", "status", "latest", "areas"):
        table.add_column(name, justify="right" if name == "areas" else "left")
    for r in frame.itertuples(index=False):
        latest = "" if pd.isna(r.latest_period_end) else f"{pd.Timestamp(r.latest_period_end):%Y-%m}"
        status = r.status if r.status == "ok" or not isinstance(r.detail, str) else f"{r.status}: {r.detail}"
        table.add_row(r.measure, r.title, r.priority, r.unit, status, latest, f"{r.areas:,}")
    out.print(table)


@app.command()
def measure(
    measure_id: Annotated[str, typer.Argument(metavar="ID", help="Measure id (see 'oversight measures').")],
    level: Annotated[str | None, typer.Option(help="Area level: force, bcu, borough, ward or national.")] = None,
    period: Annotated[str | None, typer.Option(help=f"One period: {PERIOD_HELP}.")] = None,
    period_type: Annotated[
        str | None,
        typer.Option(help="All periods of one type: month, fy_quarter, financial_year, calendar_year, rolling_12."),
    ] = None,
    area: Annotated[str | None, typer.Option(help="Area code, e.g. E09000022 or a BCU code.")] = None,
    breakdown: Annotated[str, typer.Option(help="'all', or e.g. 'self_defined_group=Black'.")] = "all",
    format: Annotated[OutputFormat, typer.Option("--format", help="table, json or csv.")] = OutputFormat.table,
) -> None:
    """Values of one measure, with intervals, SPC signals and comparison verdicts."""
    try:
        con = connect(_warehouse(), read_only=True)
        catalogue = load_catalogue()
        # Public: a suppressed figure is not printed, here as anywhere (the warehouse holds it).
        frame = measure_values(con, measure_id, level=level, period=period, period_type=period_type,
                               area=area, breakdown=breakdown, public=True, catalogue=catalogue)
        settings = build_settings.used(con)
    except OversightError as exc:
        _fail(exc)
    if format is not OutputFormat.table:
        rows = frame.to_dict("records")
        changes = pd.DataFrame([change_columns(r) for r in rows], columns=list(CHANGE_COLUMNS), index=frame.index)
        _print_frame(pd.concat([frame, changes], axis=1), format)
        return
    m = catalogue[measure_id]
    table = Table(title=f"{measure_id}: {m.title}", title_justify="left")
    for name in ("period", "level", "area", "breakdown", "value", "95% interval", "n", "against a year before",
                 "SPC", "quality"):
        table.add_column(name, justify="right" if name in {"value", "n"} else "left")
    for row in frame.to_dict("records"):
        f = Figure.of(m, row, settings)
        table.add_row(str(row["period"]), str(row["area_level"]), str(row["area_code"]), str(row["breakdown"]),
                      f.value, f.interval, f.sample, f.comparison, f.spc_text, f.quality)
    out.print(table)


def _print_frame(frame: pd.DataFrame, format: OutputFormat) -> None:
    if format is OutputFormat.csv:
        frame.to_csv(sys.stdout, index=False)
    else:
        rows = json.loads(frame.to_json(orient="records", date_format="iso"))
        out.print_json(json.dumps({"ok": True, "data": rows, "meta": {"warehouse": str(_warehouse())}}))


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on; 0.0.0.0 for every interface.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Serve the public dashboards and the open data API (/api/v1) until interrupted.

    Pages and figures are read from the snapshot the last `oversight build` published, never
    from the warehouse itself, so a build runs alongside; its figures show up within seconds of
    it finishing, without a restart.
    """
    # Imported here so the web stack loads only for the commands that use it.
    from oversight.web import serve as serve_site

    if not _warehouse().exists():
        _fail(OversightError("no warehouse here yet; run 'oversight ingest' and 'oversight build' first",
                             path=str(_warehouse())))
    out.print(f"Serving {_warehouse()} at http://{host}:{port}/ (Ctrl+C to stop)", highlight=False)
    serve_site(_warehouse(), host=host, port=port)


@app.command()
def publish(
    folder: Annotated[Path, typer.Argument(help="Folder to write the site into (replaced if it exists).")],
) -> None:
    """Write the whole site as static files (pages, JSON, CSV) that any web host can serve.

    Every page is written in its default state with the data behind it; links are relative, so
    the folder also works opened from disk. The exit code is 1 when a file could not be written.
    """
    from oversight.web import publish as publish_site

    if not _warehouse().exists():
        _fail(OversightError("no warehouse here yet; run 'oversight ingest' and 'oversight build' first",
                             path=str(_warehouse())))
    report = publish_site(_warehouse(), folder)
    for url, status, reason in report.failures:
        err.print(f"[bold red]failed:[/] {url}: {status} {reason}", highlight=False)
    out.print(f"{report.files:,} files, {report.bytes / 1e6:,.1f} MB written to {report.folder} "
              f"({len(report.failures)} failed); open {report.folder / 'index.html'}", highlight=False)
    if report.failures:
        raise typer.Exit(1)


@app.command()
def report(
    quarter: Annotated[
        str | None,
        typer.Option(
            help="Financial-year quarter, e.g. 2022-23-Q2 (Q1 = April-June). Default: the latest with figures."
        ),
    ] = None,
    folder: Annotated[
        Path, typer.Option("--out", help="Folder to write the HTML and PDF into (created if needed).")
    ] = Path("reports"),
    force: Annotated[str | None, typer.Option(help="police.uk force id. Default: the configured force.")] = None,
    pdf: Annotated[bool, typer.Option(help="Also write the tagged PDF (PDF/UA-1); --no-pdf for HTML only.")] = True,
) -> None:
    """Write the quarterly performance report against the Police and Crime Plan (HTML and tagged PDF).

    Every figure is read from the measures table (run 'oversight build' first); suppressed
    figures stay unpublished. Prints the files written and how long the build took.
    """
    # Imported here so the PDF stack loads only for this command.
    from oversight.report import build_report

    try:
        files = build_report(_warehouse(), quarter, folder, force=force, pdf=pdf)
    except OversightError as exc:
        _fail(exc)
    for warning in files.warnings:
        err.print(f"[yellow]warning:[/] {warning}", highlight=False)
    written = ", ".join(str(p) for p in (files.html, files.pdf) if p is not None)
    pages = f"{files.pages} pages, " if files.pdf else ""
    out.print(f"Report for {files.quarter.label} ({files.quarter.span}): {written} ({pages}{files.charts} charts); "
              f"built in {files.seconds:.1f} s", highlight=False)


@pack_app.command("stop-search")
def pack_stop_search(
    area: Annotated[
        str, typer.Option(help="Borough: its name ('Lambeth'), web form ('barking-and-dagenham') or code.")
    ],
    month: Annotated[str, typer.Option(help="Month, YYYY-MM: the pack shows it and the 12 months to it.")],
    questions: Annotated[
        Path | None,
        typer.Option(help="The group's questions to the police and answers (CSV; docs/community-monitoring.md).",
                     show_default=False),
    ] = None,
    folder: Annotated[
        Path, typer.Option("--out", help="Folder to write the HTML and PDF into (created if needed).")
    ] = Path("packs"),
    pdf: Annotated[bool, typer.Option(help="Also write the tagged PDF (PDF/UA-1); --no-pdf for HTML only.")] = True,
) -> None:
    """Write a borough's monthly stop and search pack for its community monitoring group (HTML and tagged PDF).

    Searches, rates and rate ratios by ethnic group, grounds and legislation, outcomes and find
    rates, strip searches and the self/officer ethnicity agreement, for the month and the 12
    months to it against a year before, with a page on how to read each figure. Every figure is
    read from the measures table (run 'oversight build' first).
    """
    # Imported here so the PDF stack loads only for this command.
    from oversight.pack import QuestionsError, build_pack

    try:
        files = build_pack(_warehouse(), area, month, folder, questions=questions, pdf=pdf)
    except QuestionsError as exc:
        for problem in exc.problems:
            err.print(f"[bold red]error:[/] {problem}", highlight=False)
        _fail(exc)
    except OversightError as exc:
        _fail(exc)
    for warning in files.warnings:
        err.print(f"[yellow]warning:[/] {warning}", highlight=False)
    written = ", ".join(str(p) for p in (files.html, files.pdf) if p is not None)
    pages = f" ({files.pages} pages)" if files.pdf else ""
    out.print(f"Pack for {files.pack.borough.name}, {files.pack.month_label}: {written}{pages}; "
              f"built in {files.seconds:.1f} s", highlight=False)


if __name__ == "__main__":  # pragma: no cover
    app()
