"""``/v1/audit``: the audit log as a party may see it, signed tree heads, proofs, verification.

Contract: duty or admin scope reads; ``/v1/audit/verify`` needs admin. Hashes are 64 lower-case
hex digits. ``GET /v1/audit?after=SEQ&limit=N`` lists records with ``seq > after`` in order:
the caller's party's as ``{seq, leaf_hash, data}`` (``data`` the parsed record, whose RFC 8785
canonical form hashes to ``leaf_hash``), others' as ``{seq, leaf_hash}``. ``/head`` signs a tree
head of the current log; ``/proof/{seq}?size=N`` and ``/consistency?old=M&new=N`` answer RFC
9162 proofs (leaves up) with the signed head of the proof's tree size when one exists (always
when the size is omitted: the current one). Verify proofs with :mod:`hotline.audit`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from hotline.api.auth import ADMIN, READ, requires
from hotline.auditing import AuditTrail, Proof, report_json
from hotline.service import Actor

router = APIRouter(prefix="/v1/audit")


async def trail(request: Request) -> AuditTrail:
    audit: AuditTrail = request.app.state.audit
    return audit


def _proof_json(p: Proof) -> dict[str, Any]:
    return {"tree_size": p.tree_size, "proof": [h.hex() for h in p.proof], "head": p.head}


@router.get("", name="list_audit")
def list_audit(
    actor: Actor = Depends(requires(READ)),
    audit: AuditTrail = Depends(trail),
    after: int = Query(-1, ge=-1, description="list records with seq > after"),
    limit: int = Query(100, ge=1, le=1000),
) -> JSONResponse:
    items = []
    for it in audit.records(actor.party, after, limit):
        item: dict[str, Any] = {"seq": it.seq, "leaf_hash": it.leaf_hash.hex()}
        if it.data is not None:
            item["data"] = it.data
        items.append(item)
    return JSONResponse(
        {"items": items, "next": items[-1]["seq"] if len(items) == limit else None}
    )


@router.get("/head", name="audit_head")
def head(
    _: Actor = Depends(requires(READ)), audit: AuditTrail = Depends(trail)
) -> dict[str, Any]:
    return audit.head()


@router.get("/proof/{seq}", name="audit_inclusion_proof")
def inclusion_proof(
    seq: int,
    size: int | None = Query(None, ge=0, description="tree size (default: current)"),
    _: Actor = Depends(requires(READ)),
    audit: AuditTrail = Depends(trail),
) -> dict[str, Any]:
    leaf, proof = audit.inclusion(seq, size)
    return {"seq": seq, "leaf_hash": leaf.hex(), **_proof_json(proof)}


@router.get("/consistency", name="audit_consistency_proof")
def consistency_proof(
    old: int = Query(..., ge=0, description="the smaller tree size"),
    new: int | None = Query(None, ge=0, description="the larger tree size (default: current)"),
    _: Actor = Depends(requires(READ)),
    audit: AuditTrail = Depends(trail),
) -> dict[str, Any]:
    return {"old_size": old, **_proof_json(audit.consistency(old, new))}


@router.get("/verify", name="audit_verify")
def verify(
    _: Actor = Depends(requires(frozenset({ADMIN}))), audit: AuditTrail = Depends(trail)
) -> dict[str, Any]:
    return report_json(audit.verify())
