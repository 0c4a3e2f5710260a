"""Key hygiene over REST: every key's risks (``GET /api/v1/keys/audit``), and a read of the keys
from their exchanges on demand (``POST /api/v1/keys/read``)."""

from __future__ import annotations

from typing import Any

from cts_tui.api.endpoints import Call, Routes
from cts_tui.api.responses import KeyAudit
from cts_tui.core.key_policy import audit_wire

routes = Routes("keys")


@routes.get(
    "/api/v1/keys/audit",
    "Each connection's key risks (withdrawals, transfers, no IP whitelist, expiry, excess "
    "permissions, unused, stored twice), worst first, with how to fix each at the exchange",
    auth=True,
    response=KeyAudit,
    errors=(401,),
)
async def audit(call: Call) -> dict[str, Any]:
    return {"success": True, **audit_wire(call.state.coordinator.key_audit())}


@routes.post(
    "/api/v1/keys/read",
    "Ask the exchanges about every key now (permissions, IP whitelist, expiry), then the audit",
    auth=True,
    response=KeyAudit,
    errors=(401,),
)
async def read(call: Call) -> dict[str, Any]:
    coordinator = call.state.coordinator
    failed = {cid: error for cid, error in (await coordinator.read_keys()).items() if error is not None}
    return {"success": True, **audit_wire(coordinator.key_audit()), "errors": failed}
