"""Interactive Brokers through ib_async: connection, market data, orders (issue 6, in progress)."""
