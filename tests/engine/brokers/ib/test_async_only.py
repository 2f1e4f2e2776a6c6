"""The IB code runs on the application's loop through ib_async's *Async API only (issue 6, DESIGN.md).

A blocking ib_async call (``IB.connect``, ``qualifyContracts``, ``reqTickers``...) runs a nested loop
inside the terminal's qasync loop, and ``util.useQt`` / ``util.patchAsyncio`` replace the loop
machinery under Qt: no such call may appear in the code that talks to IB. Read from the syntax tree
(docstrings that name them, and Qt's own ``signal.connect``, are not calls on an IB client).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]
IB_CODE = [*sorted((ROOT / "engine" / "brokers" / "ib").glob("*.py")),
           ROOT / "terminal" / "live_setup.py", ROOT / "terminal" / "live_mode.py"]
BLOCKING = {"connect", "qualifyContracts", "reqSecDefOptParams", "reqContractDetails", "reqTickers",
            "reqExecutions", "reqPositions", "reqOpenOrders", "reqCompletedOrders", "reqAccountUpdates",
            "waitOnUpdate", "sleep", "run"}
LOOP_PATCHING = {"useQt", "patchAsyncio", "startLoop", "run", "sleep", "getLoop"}


def forbidden_calls(source: str) -> list[str]:
    """Return the forbidden calls in `source`: blocking calls on an IB client, util's loop helpers."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        receiver = ast.unparse(node.func.value)
        name = node.func.attr
        on_ib = receiver == "ib" or receiver.endswith(".ib")
        if (on_ib and name in BLOCKING) or (receiver == "util" and name in LOOP_PATCHING):
            found.append(f"{node.lineno}: {ast.unparse(node)}")
    return found


def test_ib_code_uses_no_blocking_ib_async_call_and_no_loop_patching() -> None:
    offending = {str(path.relative_to(ROOT)): forbidden_calls(path.read_text()) for path in IB_CODE}
    assert {path: calls for path, calls in offending.items() if calls} == {}


def test_the_check_catches_what_it_forbids_and_passes_the_async_api() -> None:
    bad = ("util.useQt()\nutil.patchAsyncio()\nself.ib.connect('127.0.0.1', 7497, 1)\n"
           "ib.qualifyContracts(c)\nself.connection.ib.reqTickers(c)\n")
    assert len(forbidden_calls(bad)) == 5
    fine = ("async def f():\n    await ib.connectAsync('h', 1)\n    await ib.qualifyContractsAsync(c)\n"
            "    ib.placeOrder(c, o)\n    button.clicked.connect(slot)\n")
    assert forbidden_calls(fine) == []
