"""Community monitoring packs on the site: `/packs/stop-search/<borough>/<YYYY-MM>/` is a
borough's monthly stop and search pack as a page, and `.../pack.pdf` the same pack as a tagged
PDF. Both are drawn by `oversight.pack` from the public figures of the published snapshot, so
they are public like every other page; neither shows a group's questions file, which only the
command line reads.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from oversight.pack import Pack, pack_data, pdf_bytes, render_html
from oversight.web.store import Store

router = APIRouter(include_in_schema=False)
PREFIX = "/packs/stop-search"


def _pack(store: Store, borough: str, month: str) -> Pack:
    def load() -> Pack:
        with store.connection() as con:
            # Its figures are cut from the borough's, read once for every page of it (`Store.values`).
            return pack_data(con, borough, month, store.catalogue, figures=store.values)

    return store.cached(("pack", "stop-search", borough.lower(), month), load)  # type: ignore[no-any-return]


def _canonical(pack: Pack) -> str:
    return f"{PREFIX}/{pack.borough.slug}/{pack.month_key}/"


@router.api_route(PREFIX + "/{borough}/{month}/", methods=["GET", "HEAD"], response_class=HTMLResponse)
def pack_page(request: Request, borough: str, month: str) -> HTMLResponse:
    store: Store = request.app.state.store
    pack = _pack(store, borough, month)
    html = store.cached(("pack-html", "stop-search", pack.borough.code, pack.month_key),
                        lambda: render_html(pack, web=True, pdf_link=_canonical(pack) + "pack.pdf"))
    return HTMLResponse(html, headers={"Link": f'<{_canonical(pack)}>; rel="canonical"'})


@router.api_route(PREFIX + "/{borough}/{month}/pack.pdf", methods=["GET", "HEAD"])
def pack_pdf(request: Request, borough: str, month: str) -> Response:
    store: Store = request.app.state.store
    pack = _pack(store, borough, month)

    body = store.cached(("pack-pdf", "stop-search", pack.borough.code, pack.month_key),
                        lambda: pdf_bytes(render_html(pack)))
    name = f"oversight-pack-stop-search-{pack.borough.slug}-{pack.month_key}.pdf"
    return Response(body, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}"'})
