"""``GET /digests`` (newest first) and ``GET /digests/{name}`` (one rendered to HTML)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from paramtrack.reporting.files import digest_path, list_digests
from paramtrack.review_queue.digests import digest_html
from paramtrack.review_queue.routes.deps import Ctx

router = APIRouter()


@router.get("/digests", response_class=HTMLResponse)
def digests_page(request: Request, ctx: Ctx) -> HTMLResponse:
    """The run digests in the digest folder."""
    folder = ctx.config.digests
    names = [p.name for p in list_digests(folder)]
    return ctx.pages.render(request, "digests.html", title="Digests", digests=names, digest_dir=str(folder))


@router.get("/digests/{name}", response_class=HTMLResponse)
def digest_page(request: Request, name: str, ctx: Ctx) -> HTMLResponse:
    """One digest's Markdown as a page."""
    path = digest_path(ctx.config.digests, name)  # refuses anything but a plain digest file name
    if path is None:
        raise HTTPException(404, "no such digest")
    body = digest_html(path.read_text(encoding="utf-8"))
    return ctx.pages.render(request, "digest.html", title=name.removesuffix(".md"), name=name, body=body)
