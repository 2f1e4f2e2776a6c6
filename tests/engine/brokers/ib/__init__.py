"""Tests of the Interactive Brokers path: ib_async as the real client against tests.fake_tws."""
