"""Joint disclosure: masks decided per view, not per field (DESIGN §4, issue #9 §3).

A mask holds only against everything else the same view shows. `310104********6441`
beside a plain birth date `1955-05-08` hid nothing: the hidden digits *are* the birth
date. The catalogue therefore declares, once, which field's value carries (part of)
another's — a **coupling** — and `settle()` turns the per-field treatments of one view
(role × purpose, from baomi.access.policy) into treatments that hold together:

1. **A masked value must hold against what is shown beside it.** When the source is
   masked and the target, shown plain, fills the part the source's mask hides
   (`fills_hidden`), the target is masked too (birth date → year only beside a masked ID).
2. **A hidden value must not be shown through another field.** When the target is masked
   or withheld, the source may show none of it beyond the target's own mask: a plain
   source is masked; a masked source whose mask still shows the carried part gets the
   coupling's stricter mask (`refine`) or, without one, is withheld.

Rules only ever tighten (plain → masked → withheld), so `settle` reaches a fixed point.
The property is tested by attack (tests/test_masking_inference.py: hypothesis over every
role × purpose of the real policy, through the gate and the API).

Reviewed and not coupled: a card holder's name often equals the customer's name; when the
name is shown plain, learning that the holder is the customer adds nothing the view does
not already show, and a different holder keeps their mask. Courier waybill parties may be
the customer; each party field carries the same mask as the customer's field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum

from . import masking
from .enums import Treatment

PLAIN, MASKED, WITHHELD = Treatment.PLAIN, Treatment.MASKED, Treatment.WITHHELD

Refinement = Callable[[str, str], str]  # (masked text, plain value) → stricter masked text


class MaskShows(Enum):
    """How much of the target the source's (default) mask still shows."""

    NOTHING = "nothing"  # the carried part is inside what the mask hides
    WITHIN = "within"  # no more than the target's own mask shows
    PART = "part"  # some of it (e.g. the gender digit of an ID)


@dataclass(frozen=True)
class Coupling:
    source: str  # field key whose value carries (part of) the target's
    target: str
    mask_shows: MaskShows
    fills_hidden: bool  # the plain target fills part of what the source's mask hides
    en: str
    zh: str
    refine: Refinement | None = None  # stricter mask of the source that shows none of it


COUPLINGS: tuple[Coupling, ...] = (
    Coupling(
        "customer.id_number",
        "customer.birth_date",
        MaskShows.NOTHING,
        True,
        "characters 7–14 of an 18-character ID are the birth date",
        "18 位证件号码的第 7–14 位即出生日期",
    ),
    Coupling(
        "customer.id_number",
        "customer.gender",
        MaskShows.PART,
        False,
        "character 17 of an 18-character ID is odd for men, even for women",
        "18 位证件号码的第 17 位奇数为男、偶数为女",
        refine=masking.hide_gender_digit,
    ),
    Coupling(
        "booking.product",
        "booking.destination",
        MaskShows.WITHIN,
        False,
        "product names repeat the destination ('Sanya 5 days')",
        "产品名称常含目的地（如“三亚自由行”）",
    ),
    Coupling(
        "customer.email",
        "customer.phone",
        MaskShows.WITHIN,
        True,
        "an e-mail user name is often the mobile number (13800138000@163.com)",
        "邮箱用户名常为手机号（如 13800138000@163.com）",
    ),
)


@dataclass(frozen=True)
class SettledView:
    treatments: dict[str, Treatment]
    refinements: dict[str, tuple[Refinement, ...]]  # field key → applied after its mask
    changed: dict[str, str]  # field key → code of the coupling rule that tightened it


def settle(treatments: Mapping[str, Treatment]) -> SettledView:
    """Tighten one view's per-field treatments until no coupling discloses a hidden value."""
    t = dict(treatments)
    refined: dict[str, list[Coupling]] = {}
    why: dict[str, str] = {}

    def tighten(key: str, to: Treatment, reason: str) -> None:
        order = (PLAIN, MASKED, WITHHELD)
        if order.index(to) > order.index(t[key]):
            t[key] = to
            why[key] = reason

    for _ in range(4 * len(COUPLINGS) + 1):
        before = (dict(t), {k: len(v) for k, v in refined.items()})
        for c in COUPLINGS:
            src, tgt = t.get(c.source), t.get(c.target)
            if src is None or tgt is None:
                continue
            # rule 1: a masked source must hold against a plain target beside it
            if src is MASKED and tgt is PLAIN and c.fills_hidden:
                tighten(c.target, MASKED, f"holds:{c.source}")
                tgt = t[c.target]
            if tgt is PLAIN or src is WITHHELD:
                continue
            # rule 2: a masked or withheld target must not show through the source
            if src is PLAIN:
                tighten(c.source, MASKED, f"shows:{c.target}")
                continue
            leaks = c.mask_shows is MaskShows.PART or (
                c.mask_shows is MaskShows.WITHIN and tgt is WITHHELD
            )
            if not leaks or c in refined.get(c.source, []):
                continue
            if c.refine is not None:
                refined.setdefault(c.source, []).append(c)
                why.setdefault(c.source, f"refined:{c.target}")
            else:
                tighten(c.source, WITHHELD, f"shows:{c.target}")
        if before == (t, {k: len(v) for k, v in refined.items()}):
            break
    refinements = {
        k: tuple(c.refine for c in cs if c.refine is not None and t[k] is MASKED)
        for k, cs in refined.items()
    }
    return SettledView(t, {k: v for k, v in refinements.items() if v}, why)


def rules(lang: str = "en") -> list[dict[str, str]]:
    """The couplings as rows for the catalogue's masking table (`baomi catalog`)."""
    zh = lang.startswith("zh")
    return [
        {
            "field": c.source,
            "carries": c.target,
            "why": c.zh if zh else c.en,
            "rule": (
                (
                    "对方明文时，本字段脱敏须仍成立：对方改为脱敏"
                    if zh
                    else "masked beside it: the other is masked too"
                )
                if c.fills_hidden
                else ""
            )
            + ("；" if zh and c.fills_hidden else "; " if c.fills_hidden else "")
            + (
                (
                    "对方被隐藏时：本字段改用更严格的脱敏"
                    if zh
                    else "other hidden: this field gets a stricter mask"
                )
                if c.refine
                else (
                    "对方被隐藏时：本字段同样脱敏或不提供"
                    if zh
                    else "other hidden: this field is masked or withheld as well"
                )
            ),
        }
        for c in COUPLINGS
    ]
