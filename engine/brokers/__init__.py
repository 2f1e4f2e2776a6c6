"""Brokers: the protocol the session talks to (base), the embedded paper broker, later IB."""
