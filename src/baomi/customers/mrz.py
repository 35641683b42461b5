"""Capture helper (R-A5; issue #17 §1): a keyboard-wedge passport or ID-card reader types
the document's machine-readable zone (MRZ) into a form; this turns it into profile values
the form then validates as if typed. The check digits are verified by the kept `mrz`
library (ICAO 9303: TD3 passports, two lines of 44; TD1 cards, three lines of 30).
Nothing is stored or logged here: the values go back to the form that asked."""

from __future__ import annotations

from datetime import date

from mrz.checker.td1 import TD1CodeChecker
from mrz.checker.td3 import TD3CodeChecker

from baomi.catalog.enums import Gender, IdType
from baomi.core import clock
from baomi.core.errors import FieldIssue, ValidationFailed
from baomi.core.i18n import country_alpha2


def _invalid(code: str, en: str, zh: str) -> ValidationFailed:
    return ValidationFailed([FieldIssue("mrz", code, en, zh)])


def _day(yymmdd: str, *, past: bool) -> str:
    """YYMMDD → ISO date; a birth date is in the past, so its century follows from today."""
    try:
        yy, mm, dd = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:6])
    except ValueError:
        return ""
    this = clock.now().year % 100
    century = 1900 if past and yy > this else 2000
    try:
        return date(century + yy, mm, dd).isoformat()
    except ValueError:
        return ""


def parse(text: object) -> dict[str, str]:
    """Profile values from an MRZ: name (surname, then given names), ID type and number,
    nationality (alpha-2), birth date, gender. A wrong check digit or shape is refused."""
    lines = [ln.strip().replace(" ", "").upper() for ln in str(text or "").splitlines()]
    lines = [ln for ln in lines if ln]
    if len(lines) == 2 and all(len(ln) == 44 for ln in lines):
        checker: TD3CodeChecker | TD1CodeChecker = TD3CodeChecker("\n".join(lines))
        id_type = IdType.PASSPORT
    elif len(lines) == 3 and all(len(ln) == 30 for ln in lines):
        checker = TD1CodeChecker("\n".join(lines))
        if lines[0][2:5] != "CHN":  # the card types baomi registers: China's PR card
            raise _invalid(
                "mrz_card_unsupported",
                "only passports and China's foreign permanent resident card",
                "仅支持护照和外国人永久居留身份证",
            )
        id_type = IdType.FOREIGN_PERMANENT_RESIDENT
    else:
        raise _invalid(
            "mrz_shape",
            "an MRZ is 2 lines of 44 characters (passport) or 3 lines of 30 (card)",
            "机读码应为 2 行 44 位（护照）或 3 行 30 位（证件卡）",
        )
    if not checker:
        raise _invalid(
            "mrz_check_digit", "a check digit is wrong: read it again", "校验位不符，请重新读取"
        )
    f = checker.fields()
    name = " ".join(p for p in (f.surname.strip(), f.name.strip()) if p)
    sex = {"M": Gender.MALE, "F": Gender.FEMALE}.get(f.sex, Gender.UNKNOWN)
    out = {
        "name": name,
        "id_type": id_type.value,
        "id_number": f.document_number.replace("<", ""),
        "nationality": country_alpha2(f.nationality),
        "birth_date": _day(f.birth_date, past=True),
        "gender": sex.value,
    }
    return {k: v for k, v in out.items() if v}
