"""Public pages answered from each web process's memory: rendered once per
``GATEWAY_PUBLIC_CACHE_SECONDS``, with a strong ETag (a hash of the bytes, so a 304 is never
wrong) and ``Cache-Control: public`` so phones and proxies keep them too.

Two layers, both per path (the language is in the path):

- :func:`cached` keeps a view's rendered bytes (a page that fails, a 404, is not kept);
- :class:`ServedPages`, a WSGI layer in front of Flask, keeps the whole answer Flask gave for a
  kept page (status line, every header the app's hooks added, the bytes) and answers the next
  plain ``GET`` of that path itself until it expires, without routing, hooks or a request
  context: that is what serves a busy results page at over 1,000 requests a second.

Results may so be up to the cache time old, which the pages say.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from time import monotonic
from typing import Any, ParamSpec

from flask import Flask, Response, current_app, request

from gateway.settings import current_settings

P = ParamSpec("P")
MAX_PAGES = 5000  # a crawler walking every id must not grow the cache for ever
PAGE_KEY = "gateway.public.page"  # the WSGI environ's key for the page a view served
StartResponse = Callable[..., Any]


@dataclass(frozen=True)
class Page:
    body: bytes
    mimetype: str
    etag: str
    expires: float
    filename: str | None = None


@dataclass(frozen=True)
class Served:
    """A page's whole answer, as Flask gave it."""

    headers: list[tuple[str, str]]
    body: bytes
    etag: str
    expires: float


class ServedPages:
    """The WSGI layer (see the module's docstring)."""

    def __init__(self, app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]]) -> None:
        self.app = app
        self.pages: dict[str, Page] = {}
        self.served: dict[str, Served] = {}

    def clear(self) -> None:
        self.pages.clear()
        self.served.clear()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        plain = environ.get("REQUEST_METHOD") == "GET" and not environ.get("QUERY_STRING")
        hit = self.served.get(path) if plain else None
        if hit is not None and hit.expires >= monotonic():
            if f'"{hit.etag}"' in environ.get("HTTP_IF_NONE_MATCH", ""):
                start_response("304 NOT MODIFIED", _without_body(hit.headers))
                return []
            start_response("200 OK", hit.headers)
            return [hit.body]
        if not plain:
            return self.app(environ, start_response)

        def keep(status: str, headers: list[tuple[str, str]], *exc: Any) -> Any:
            page: Page | None = environ.get(PAGE_KEY)
            private = any(k.lower() == "set-cookie" for k, _ in headers)  # never kept
            fresh = page is not None and page.expires > monotonic()
            if page is not None and fresh and status.startswith("200") and not private:
                if len(self.served) >= MAX_PAGES:
                    self.served.clear()
                self.served[path] = Served(list(headers), page.body, page.etag, page.expires)
            return start_response(status, headers, *exc)

        return self.app(environ, keep)


def _without_body(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(k, v) for k, v in headers if k.lower() not in ("content-length", "content-type")]


def init_app(app: Flask) -> None:
    served = ServedPages(app.wsgi_app)
    app.extensions["public_pages"] = served
    app.wsgi_app = served  # type: ignore[method-assign]


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
            pages = current_app.extensions["public_pages"].pages
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
                    request.environ[PAGE_KEY] = page
            elif ttl:
                request.environ[PAGE_KEY] = page
            return _answer(page, ttl)

        return serve

    return decorate
