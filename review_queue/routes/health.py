"""``GET /healthz``: liveness for a supervisor, without touching the warehouse."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process answers (open without the token)."""
    return {"status": "ok"}
