"""``GET /papers/{id}/pdf``: the cached PDF (the pages link it with ``#page=N``)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, Response

from paramtrack.core.errors import DatabaseLockedError
from paramtrack.review_queue.pdf_files import cached_pdf_file
from paramtrack.review_queue.routes.deps import Ctx
from paramtrack.warehouse import review_store as store

router = APIRouter()


@router.get("/papers/{arxiv_id:path}/pdf")
def paper_pdf(request: Request, arxiv_id: str, ctx: Ctx) -> Response:
    """The newest cached version's file, shown inline; never a file outside the PDF cache."""
    try:
        with ctx.wh.read() as con:
            stored = store.cached_pdf_path(con, arxiv_id)
    except DatabaseLockedError as exc:
        return ctx.pages.busy(request, exc)
    if not stored:
        raise HTTPException(404, f"no cached PDF for {arxiv_id}")
    path = cached_pdf_file(stored, ctx.config.pdfs)
    if path is None:
        raise HTTPException(404, f"the cached PDF for {arxiv_id} is missing from the PDF cache")
    return FileResponse(
        path,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{quote(arxiv_id, safe="")}.pdf"'},
    )
