"""Who am I: the role and key id of the key a request carries."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from api import jobs
from api.deps import Caller, current_caller

router = APIRouter(prefix="/v1/me", tags=["access"])


class Me(BaseModel):
    """The caller's role and the id under which its actions are recorded."""

    role: str
    key_id: str


@router.get("", response_model=Me, summary="The role and key id of the calling key")
def me(caller: Annotated[Caller, Depends(current_caller)]) -> Me:
    """Answer with the key's role, so a client can show only what that role may do."""
    return Me(role=caller.role.value, key_id=jobs.short_key(caller.key_id) or "")
