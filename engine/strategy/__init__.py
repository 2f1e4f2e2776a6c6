"""The default strategy (seed 002, "Optimus") and its parts, one module each.

Signal side: market_state (future-blind indicators per session), diagnosis (002 §3.1-3.2),
regime (§3.3), gates (§4.2 and the extra gates), evaluate (the daily entry evaluation and the
``optimus evaluate`` report), logs (the §9 log lines). Trade side: spreads (§5), conviction (§6.2),
sizing (§6.1), exits (§7). Modules are imported by name; nothing is re-exported here, so importing
one part does not load the others.
"""
