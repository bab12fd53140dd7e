"""Public dashboards and the open data API (FastAPI, server-rendered, no CDN).

    create_app(warehouse)      the ASGI app: pages, /api/v1, static files
    serve(warehouse, host, port)  run it with uvicorn
    publish(warehouse, folder) write the whole site as static files

Layout: `store.py` reads the warehouse (cached); `params.py` checks the filters in the URL;
`views/` builds one plain dict per page from `panels.py`; `charts.py` and `maps.py` draw;
`render.py` and `templates/` make HTML; `pages.py` and `api.py` are the routes.
"""

from __future__ import annotations

from oversight.web.app import create_app
from oversight.web.publish import publish
from oversight.web.serve import serve

__all__ = ["create_app", "publish", "serve"]
