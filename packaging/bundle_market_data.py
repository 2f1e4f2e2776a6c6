"""Copy the shared market history into resources/market as compact, reproducible gzip CSVs.

Run from the project root: ``python packaging/bundle_market_data.py [SOURCE_DIR]``.
SPX is trimmed to 1990 onward (before 1962 it has no intraday range, and nothing we compute
needs the 1920s). The gzip header carries no timestamp so the same input gives the same bytes.
"""

from __future__ import annotations

import gzip
import shutil
import sys
from pathlib import Path

SERIES = ("SPX", "VIX", "VIX3M", "VIX9D", "SKEW", "VVIX", "PUT_CALL")
FIRST_DATE = "1990-01-01"


def bundle(source: Path, target: Path) -> None:
    """Write SOURCE/*.csv to TARGET/*.csv.gz, trimming rows dated before FIRST_DATE."""
    target.mkdir(parents=True, exist_ok=True)
    for name in SERIES:
        lines = (source / f"{name}.csv").read_text().splitlines(keepends=True)
        kept = [lines[0]] + [line for line in lines[1:] if line[:10] >= FIRST_DATE]
        with (
            (target / f"{name}.csv.gz").open("wb") as raw,
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as packed,
        ):
            packed.write("".join(kept).encode())
    shutil.copyfile(source / "README.md", target / "SOURCE_README.md")


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    src = Path(sys.argv[1]) if len(sys.argv) > 1 else root.parent / "shared" / "data" / "market"
    bundle(src, root / "resources" / "market")
    print("bundled", ", ".join(SERIES), "into resources/market")
