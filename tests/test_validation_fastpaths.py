"""The validators' fast paths give exactly the libraries' answers (issue #11).

`validators.phone` and `validators.email` take a plain mainland mobile / a plain ASCII
address without calling phonenumbers / email-validator. These tests compare the fast
function with the library path on tens of thousands of inputs, valid and invalid, so a
fast path can never accept what the library refuses, refuse what it accepts, or normalise
differently. R-B4."""

from __future__ import annotations

import random
import string

import pytest

from baomi.catalog import validators as v


def _answer(fn: object, value: str) -> tuple[str, str]:
    try:
        return ("ok", fn(value))  # type: ignore[operator]
    except v.Invalid as exc:
        return ("invalid", exc.code)


def _phones() -> list[str]:
    rng = random.Random(11)
    out = []
    for prefix in range(100, 200):  # every 3-digit mobile prefix, valid or not
        for _ in range(60):
            body = f"{prefix}{rng.randrange(10**8):08d}"
            out += [body, "+86" + body, " " + body + " ", body[:-1], body + "0", "+86" + body[:-1]]
    out += ["17951234567", "12593123456", "11808123456", "+8613800138000", "8613800138000"]
    out += ["138-0013-8000", "138 0013 8000", "010 12345678", "+1 212 555 0100", "1", ""]
    return out


@pytest.mark.parametrize("chunk", range(4))
def test_phone_fast_path_agrees_with_phonenumbers(chunk: int) -> None:
    phones = _phones()[chunk::4]
    fast = 0
    for p in phones:
        expected = _answer(lambda s: v.phone_library(str(s).strip()), p)
        assert _answer(v.phone, p) == expected, p
        fast += v._CN_MOBILE_SHAPE.fullmatch(p.strip()) is not None
    assert fast > len(phones) // 6  # the fast path is really taken


def _emails() -> list[str]:
    rng = random.Random(5)
    alphabet = string.ascii_letters + string.digits + "._+-"
    tlds = ["com", "cn", "org", "test", "local", "localhost", "onion", "arpa", "invalid", "x"]
    out = []
    for _ in range(6000):
        local = "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 20)))
        label = "".join(
            rng.choice(string.ascii_lowercase + string.digits + "-")
            for _ in range(rng.randrange(1, 12))
        )
        out.append(f"{local}@{label}.{rng.choice(tlds)}")
        out.append(f"{local}@{label}.example.{rng.choice(tlds)}")
    out += [
        "a@b.cn",
        "A.B@Example.COM",
        "a..b@x.cn",
        ".a@x.cn",
        "a.@x.cn",
        "a@x..cn",
        "a@-x.cn",
        "a@x-.cn",
        "a@xn--fiqs8s.cn",
        "a@x.c",
        "a@x.123",
        "a@localhost",
        "a@x.test",
        "a@sub.example.invalid",
        "x" * 64 + "@a.cn",
        "x" * 65 + "@a.cn",
        "a@" + ("b" * 63 + ".") * 4 + "cn",
        "a@" + "b" * 64 + ".cn",
        "张三@例子.中国",
        "a b@x.cn",
        "a@x.cn ",
        " a@x.cn",
        "a+tag@x.cn",
        "a_b@x.cn",
        "a@x_y.cn",
        "a@x",
        "@x.cn",
        "a@",
    ]
    return out


@pytest.mark.parametrize("chunk", range(4))
def test_email_fast_path_agrees_with_email_validator(chunk: int) -> None:
    emails = _emails()[chunk::4]
    fast = 0
    for e in emails:
        expected = _answer(lambda s: v.email_library(str(s).strip()), e)
        assert _answer(v.email, e) == expected, e
        low = e.strip().lower()
        fast += low.isascii() and v._plain_email(low)
    assert fast > len(emails) // 5


def test_resident_id_skips_compact_only_when_it_is_the_identity() -> None:
    from stdnum.cn import ric

    rng = random.Random(3)
    for _ in range(3000):
        s = f"{rng.randrange(10**17):017d}" + rng.choice("0123456789X")
        assert ric.compact(s) == s
        assert _answer(v.resident_id, s) == _answer(lambda x: v.resident_id(ric.compact(x) + ""), s)
