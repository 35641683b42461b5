"""Probabilistic record linkage (Fellegi–Sunter), pure Python over rapidfuzz and pypinyin.

No Django here: the engine is given rows already in memory (a CSV file, or values the gate
decrypted in its bulk path) and answers pairs with match probabilities. Decision 0028 says
why this is not Splink.
"""

from .engine import Comparator, FieldKind, LinkModel, Pair, link_rows

__all__ = ["Comparator", "FieldKind", "LinkModel", "Pair", "link_rows"]
