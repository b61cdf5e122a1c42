"""Public pages answered from each web process's memory: rendered once per
``GATEWAY_PUBLIC_CACHE_SECONDS``, with a strong ETag (a hash of the bytes, so a 304 is never
wrong) and ``Cache-Control: public`` so phones and proxies keep them too.

The rendered bytes are kept per path (the language is in the path). A page that fails (404)
is not kept. Results may so be up to the cache time old, which the pages say.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from time import monotonic
from typing import ParamSpec

from flask import Flask, Response, current_app, request

from gateway.settings import current_settings

P = ParamSpec("P")
MAX_PAGES = 5000  # a crawler walking every id must not grow the cache for ever


@dataclass(frozen=True)
class Page:
    body: bytes
    mimetype: str
    etag: str
    expires: float
    filename: str | None = None


def init_app(app: Flask) -> None:
    app.extensions["public_pages"] = {}


def clear() -> None:
    """Forget every rendered page (a test that changes what a page shows calls it)."""
    current_app.extensions["public_pages"].clear()


def _answer(page: Page, max_age: int) -> Response:
    headers = {
        "ETag": f'"{page.etag}"',
        "Cache-Control": f"public, max-age={max_age}",
    }
    if page.filename:
        headers["Content-Disposition"] = f'attachment; filename="{page.filename}"'
    if page.etag in request.if_none_match:
        return Response(status=304, headers=headers)
    return Response(page.body, mimetype=page.mimetype, headers=headers)


def cached(
    mimetype: str = "text/html", filename: str | None = None
) -> Callable[[Callable[P, str | bytes]], Callable[P, Response]]:
    """Serve the view's text (or bytes) as a cached public page of ``mimetype``."""

    def decorate(view: Callable[P, str | bytes]) -> Callable[P, Response]:
        @wraps(view)
        def serve(*args: P.args, **kwargs: P.kwargs) -> Response:
            ttl = current_settings().public_cache_s
            pages: dict[str, Page] = current_app.extensions["public_pages"]
            page = pages.get(request.path)
            if page is None or page.expires < monotonic():
                made = view(*args, **kwargs)
                body = made.encode("utf-8") if isinstance(made, str) else made
                etag = hashlib.sha256(body).hexdigest()[:32]
                page = Page(body, mimetype, etag, monotonic() + ttl, filename)
                if ttl:
                    if len(pages) >= MAX_PAGES:
                        pages.clear()
                    pages[request.path] = page
            return _answer(page, ttl)

        return serve

    return decorate
