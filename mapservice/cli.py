"""The ``mapservice`` command: serve, init, import, export, layers."""
from __future__ import annotations

import getpass
import logging
import os
import sys
import threading
import unicodedata
from functools import partial
from pathlib import Path
from typing import NoReturn

import click
from tqdm import tqdm

from . import budget, i18n, planning
from .auth import secret_key
from .errors import MapserviceError
from .exporter import FORMATS, export_layer
from .i18n import t
from .importer import ImportReport, import_file
from .report import downloads, view
from .service import Service, open_service
from .settings import Settings

log = logging.getLogger(__name__)

progress = partial(tqdm, file=sys.stderr, leave=False, mininterval=0.5)
SHOWN_ERRORS = 50


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except MapserviceError as exc:
        _fail(exc)


def _service(settings: Settings | None = None, require_store: bool = True) -> Service:
    """The service for the ``MAPSERVICE_*`` settings; bad settings or layer files end the command,
    and so does an unreachable store unless not ``require_store``."""
    try:
        return open_service(settings or _settings(), require_store=require_store)
    except MapserviceError as exc:
        _fail(exc)


def _load_demo_if_empty(service: Service) -> None:
    if not service.settings.load_demo or any(service.store.counts().values()):
        return
    click.echo("Loading the demo region (Yangzhou, generated points) ...", err=True)
    for report in service.load_demo_if_empty(progress=progress):
        click.echo(f"  {report.layer:<20} {report.inserted:>6} features", err=True)


def _login_name() -> str:
    """Who runs the command, for the change log."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def _fail(exc: MapserviceError, lang: str | None = None) -> NoReturn:
    """End the command with the error: in ``lang``'s words when the command speaks one, else in English."""
    click.echo(f"error: {exc.message}" if lang is None else t("cli_error", lang, message=exc.text(lang)), err=True)
    sys.exit(2)


@click.group()
def main() -> None:
    """Yuren Map (育人地图). The store comes from MAPSERVICE_DATABASE_URL."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=os.cpu_count() or 1, show_default="one per core",
              type=click.IntRange(1, 64), help="Worker processes (gunicorn; waitress runs one).")
@click.option("--threads", default=4, show_default=True, type=click.IntRange(1, 64), help="Threads per worker.")
def serve(host: str, port: int, workers: int, threads: int) -> None:
    """Serve the map; an empty store first gets the demo region (unless MAPSERVICE_LOAD_DEMO=false).

    Runs gunicorn where it is installed (Linux, macOS), else waitress (Windows too).
    """
    from .app import create_app

    service = _service(require_store=False)
    try:
        secret_key(service.settings)  # PostGIS without MAPSERVICE_SECRET_KEY stops here, saying how to set it
    except MapserviceError as exc:
        _fail(exc)
    if service.ready:
        _load_demo_if_empty(service)
    else:
        click.echo("warning: the store is not answering; serving 503 until it does", err=True)
    settings = service.settings
    where = "PostGIS" if settings.uses_postgis else settings.database_url
    click.echo(f"Yuren Map on http://{host}:{port}/  (store: {where})", err=True)
    try:
        from . import server
    except ImportError:  # no gunicorn (Windows)
        import waitress

        waitress.serve(_warming(create_app(service=service)), host=host, port=port, threads=threads, ident="")
        return
    service.close()  # connections do not survive the fork: each worker opens its own
    server.run(lambda: _warming(create_app(settings)), host, port, workers, threads)


def _warming(app):
    """``app``, its store warming in a thread of its own (the first visitors need not wait for it)."""
    store = app.extensions["mapservice"].store

    def warm():
        try:
            store.warm()
        except Exception as exc:  # noqa: BLE001 - best effort: the requests build what is missing
            log.warning("store not warmed: %s", exc)

    threading.Thread(target=warm, name="mapservice-warm", daemon=True).start()
    return app


@main.command()
@click.option("--demo/--no-demo", default=None, help="Load the demo region into an empty store.")
def init(demo: bool | None) -> None:
    """Create (or bring up to date) the tables of every layer; safe to run again."""
    settings = None
    if demo is not None:
        settings = _settings().replace(load_demo=demo)
    with _service(settings) as service:
        _load_demo_if_empty(service)
        for layer_id, count in service.store.counts().items():
            click.echo(f"{layer_id:<20} {count:>8}")


@main.command()
def layers() -> None:
    """List the layers and their feature counts."""
    with _service() as service:
        counts = service.store.counts()
    for layer in service.layers.values():
        click.echo(f"{layer.id:<20} {layer.kind:<9} {counts[layer.id]:>8}  {layer.title_zh} / {layer.title_en}")


def _print_report(report: ImportReport) -> None:
    verb = "would write" if report.dry_run else "wrote"
    click.echo(f"{report.source} -> {report.layer}: {report.total} rows, {report.accepted} valid, "
               f"{report.rejected} rejected; {verb} "
               + (f"{report.accepted}" if report.dry_run else f"{report.inserted} new, {report.updated} updated"))
    if report.ignored_columns:
        click.echo(f"ignored columns: {', '.join(report.ignored_columns)}")
    if report.errors:
        click.echo(f"{'line':>6}  {'field':<16} reason")
        for error in report.errors[:SHOWN_ERRORS]:
            value = f" [{error.value}]" if error.value else ""
            click.echo(f"{error.line:>6}  {error.field:<16} {error.reason}{value}")
        if len(report.errors) > SHOWN_ERRORS:
            click.echo(f"... and {len(report.errors) - SHOWN_ERRORS} more (see --report)")


@main.command("import")
@click.argument("layer")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--crs", help="Source CRS: wgs84, cgcs2000, gcj02, bd09 or an EPSG code "
                            "(default: the file's, else WGS 84).")
@click.option("--dry-run", is_flag=True, help="Validate and report; write nothing.")
@click.option("--report", "report_path", type=click.Path(path_type=Path), help="Write rejected rows to this CSV.")
@click.option("--wait/--no-wait", default=True, show_default=True,
              help="When another process is writing to the GeoPackage: wait for it, or stop at once (exit 2).")
def import_(layer: str, file: Path, crs: str | None, dry_run: bool, report_path: Path | None, wait: bool) -> None:
    """Import FILE (CSV, XLSX, GeoJSON, GeoPackage, zipped Shapefile) into LAYER.

    Exit status: 0 all rows valid, 1 some rows rejected (the valid ones are written), 2 nothing
    could be read, or (--no-wait) another process is writing to the store.
    """
    def waiting() -> None:
        click.echo("another process is writing to the store; waiting for it to finish (Ctrl-C stops) ...", err=True)

    with _service() as service:
        try:
            report = import_file(service.store, layer, file, crs=crs, dry_run=dry_run, progress=progress,
                                 wait=wait, on_wait=waiting, actor=f"{_login_name()} (mapservice import)")
        except MapserviceError as exc:
            _fail(exc)
    _print_report(report)
    if report_path:
        report.write_csv(report_path)
    sys.exit(1 if report.errors else 0)


@main.command()
@click.argument("layer")
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="Default: from the file name.")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True)
def export(layer: str, fmt: str | None, output: Path) -> None:
    """Write LAYER to a GeoJSON, GeoPackage or CSV file (WGS 84)."""
    fmt = fmt or output.suffix.lstrip(".").lower().replace("json", "geojson").replace("geogeojson", "geojson")
    with _service() as service:
        try:
            count = export_layer(service.store, layer, fmt, output, progress=progress)
        except MapserviceError as exc:
            _fail(exc)
    click.echo(f"{count} features of {layer} -> {output}")


@main.command("coverage")
@click.option("--supply", required=True, help="Supply layer id(s), comma-separated, e.g. parent_schools.")
@click.option("--demand", required=True, help="Demand layer: communities or schools.")
@click.option("--radius", type=float, help="Metres (default: the supply layer's GB 50180-2018 radius).")
@click.option("--minutes", type=float, help="Walking minutes instead of --radius.")
@click.option("--district", help="Only this district (name or adcode).")
@click.option("--weight", help="Numeric demand attribute to weight by (default: the layer file's weight).")
@click.option("--supply-where", help="Supply filter, e.g. 'tier>=示范'.")
@click.option("--suggest", "count", default=planning.DEFAULT_COUNT, show_default=True,
              type=click.IntRange(0, planning.MAX_SUGGESTIONS), help="How many new sites to suggest.")
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help=f"Write results: {', '.join(downloads.SUFFIXES)}.")
@click.option("--lang", type=click.Choice(i18n.LANGS), default="zh", show_default=True,
              help="Language of the printed table and of the files written.")
def coverage_(supply, demand, radius, minutes, district, weight, supply_where, count, output, lang) -> None:
    """Who is within reach of SUPPLY, by district, with gap cells and suggested new sites."""
    request = planning.CoverageRequest(supply=tuple(s.strip() for s in supply.split(",") if s.strip()),
                                       demand=demand, radius_m=radius, minutes=minutes, district=district,
                                       weight=weight, supply_where=supply_where)
    with _service() as service:
        try:
            if output:
                downloads.check_suffix(output)
            with tqdm(total=1, desc="coverage", file=sys.stderr, leave=False) as bar, \
                    budget.spending(service.settings.max_pairs):
                result = planning.plan(service.store, request, count)
                bar.update()
        except MapserviceError as exc:
            _fail(exc, lang)
    page = view.build(result, service.layers, lang)
    for label, words in page["params"]:
        click.echo(f"{label}：{words}" if lang == "zh" else f"{label}: {words}")
    click.echo(f"{page['headline']['share_label']} {page['headline']['share']}  {page['headline']['after']}")
    table = [[label for _, label in page["columns"]], *(row["cells"] for row in page["rows"]), page["total"]["cells"]]
    widths = [max(_display_width(line[i]) for line in table) for i in range(len(table[0]))]
    for line in table:
        click.echo("  ".join(_pad(text, width, right=i > 0) for i, (text, width) in enumerate(zip(line, widths))))
    if page["suggestions"]:
        click.echo(t("planner_suggestions_title", lang))
        for pick in page["suggestions"]:
            click.echo(f"{pick['rank']:>3}. {pick['name']} ({pick['layer']}, {pick['lonlat']})  {pick['added']}  "
                       f"{pick['after']}")
    if output:
        for written in downloads.write(result, output, service.layers, lang):
            click.echo(t("cli_wrote", lang, path=written))


def _display_width(text: str) -> int:
    """Columns a text takes in a terminal: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    space = " " * (width - _display_width(text))
    return space + text if right else text + space


@main.group()
def bookings() -> None:
    """Study-tour bookings: nightly checks."""


@bookings.command("check")
def bookings_check() -> None:
    """Recompute every session's booked places from its bookings and report any difference.

    Exit status 0 when every counter agrees (as it must), 1 when one does not.
    """
    from . import booking

    with _service() as service:
        differences = booking.check(service.store)
    for session_id, booked, held in differences:
        click.echo(t("cli_booking_difference", "zh", session=session_id, booked=booked, held=held))
    click.echo(t("cli_booking_checked", "zh", count=len(differences)))
    sys.exit(1 if differences else 0)


@bookings.command("expire")
def bookings_expire() -> None:
    """Expire the requests no base answered in time, freeing their places (safe to run any time)."""
    from . import booking

    with _service() as service:
        expired = booking.expire_due(service.store)
    click.echo(t("cli_booking_expired", "zh", count=len(expired)))


from .usercli import users  # noqa: E402  (it uses _service above)

main.add_command(users)
