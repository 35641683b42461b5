"""Chinese glyphs for generated files (PDF labels and reports, ZPL bitmaps): Noto Sans CJK
from Debian's `fonts-noto-cjk` (installed by `.ci/run` and the deployment guide). Nothing
is downloaded at run time."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
)


class FontMissing(RuntimeError):
    pass


@lru_cache(maxsize=1)
def cjk_font() -> tuple[str, int]:
    """(path, index in the collection) of a Simplified Chinese Noto face."""
    from fontTools.ttLib import TTCollection

    for path in FONT_CANDIDATES:
        if not Path(path).exists():
            continue
        coll = TTCollection(path, lazy=True)
        for i, font in enumerate(coll.fonts):
            names = {str(n) for n in font["name"].names if n.nameID in (1, 4)}
            if any("CJK SC" in n for n in names):
                return path, i
    raise FontMissing("no Noto CJK font: apt-get install fonts-noto-cjk")
