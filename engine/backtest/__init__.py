"""Headless replays at full speed: the runner, the metrics of 002 §16 and the report files."""
