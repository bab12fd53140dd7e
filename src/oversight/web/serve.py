"""Run the site with uvicorn: `oversight serve`."""

from __future__ import annotations

import os
from typing import Final

from oversight.web.app import create_app

DEFAULT_HOST: Final = "127.0.0.1"
DEFAULT_PORT: Final = 8000


def serve(
    warehouse: str | os.PathLike[str] | None = None, *, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
    log_level: str = "info",
) -> None:
    """Serve the dashboards and the API for one warehouse until interrupted."""
    import uvicorn


    uvicorn.run(create_app(warehouse), host=host, port=port, log_level=log_level, server_header=False)
