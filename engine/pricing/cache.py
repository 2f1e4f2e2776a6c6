"""numba's on-disk cache for the pricing kernels: where it is, and keeping it in step.

numba keys each cached kernel on its own source file only, but most kernels inline helpers from
other modules (``special.py``, ``iv_core.py``). After an edit there numba would silently load
machine code built from the old helpers. ``ensure_fresh_cache`` (run when ``engine.pricing`` is
imported; reads a few files, compiles nothing) keeps a fingerprint of the package's sources next
to the cache and deletes the cached kernels when it changes.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from engine.pricing import kernels

_PACKAGE_DIR = Path(__file__).resolve().parent
_MODULES = ("special", "kernels", "iv", "iv_core", "probability")
_FINGERPRINT = "pricing-sources.sha1"


def cache_dir() -> Path:
    """Return where numba keeps this package's compiled kernels (honours NUMBA_CACHE_DIR)."""
    # numba's own locator knows its layout (it differs with and without NUMBA_CACHE_DIR)
    cache = getattr(kernels._bsm_greeks_kernel, "_cache", None)
    path = getattr(cache, "_cache_path", None)
    return Path(path) if path else _PACKAGE_DIR / "__pycache__"


def clear_cache() -> int:
    """Delete numba's cached machine code for engine.pricing; return the number of files."""
    files = [
        path
        for pattern in ("*.nbi", "*.nbc")
        for path in cache_dir().glob(pattern)
        if path.name.split(".")[0] in _MODULES
    ]
    for path in files:
        path.unlink(missing_ok=True)
    return len(files)


def sources_fingerprint() -> str:
    """Return a hash of every source file of the package."""
    digest = hashlib.sha1(usedforsecurity=False)
    for path in sorted(_PACKAGE_DIR.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def ensure_fresh_cache() -> bool:
    """Delete cached kernels built from other sources; return True if it did.

    Never raises: a read-only or missing cache directory just means numba compiles as usual.
    """
    stamp = cache_dir() / _FINGERPRINT
    current = sources_fingerprint()
    try:
        if stamp.read_text() == current:
            return False
    except OSError:
        pass
    try:
        clear_cache()
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.write_text(current)
    except OSError:
        return False
    return True
