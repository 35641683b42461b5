"""Synthetic customers for the demo, tests and benchmarks (R-C7: never production data).

Faker (zh_CN, en_US) supplies names and addresses; mainland resident IDs are built with a
real region code and the checksum from python-stdnum, and are checked with the product's own
rule (`catalog.validators.resident_id`: the region code may be newer than the birth date, as
on real cards issued after a district was created — issue #9 §1).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from faker import Faker
from stdnum.cn import ric

from baomi.catalog.validators import resident_id as valid_resident_id

REGIONS = {  # region code → city prefix for a matching address
    "110105": "北京市朝阳区",
    "310104": "上海市徐汇区",
    "440106": "广州市天河区",
    "440305": "深圳市南山区",
    "330106": "杭州市西湖区",
    "510107": "成都市武侯区",
    "420106": "武汉市武昌区",
    "320102": "南京市玄武区",
    "610113": "西安市雁塔区",
    "500103": "重庆市渝中区",
}
MOBILE_PREFIXES = (
    "138",
    "139",
    "136",
    "135",
    "150",
    "151",
    "158",
    "186",
    "187",
    "188",
    "177",
    "133",
    "153",
    "189",
    "199",
)
FOREIGN = (
    ("US", "+1 212 555 0{:03d}", "en_US"),
    ("GB", "+44 20 7946 0{:03d}", "en_GB"),
    ("JP", "+81 3 1234 {:04d}", "ja_JP"),
    ("DE", "+49 30 901820{:02d}", "de_DE"),
)


class Synth:
    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.zh = Faker("zh_CN")
        self.zh.seed_instance(seed)
        self.en = Faker("en_US")
        self.en.seed_instance(seed)
        self._n = 0

    def resident_id(self, born: date, male: bool) -> tuple[str, str]:
        # any birth year with any region code: a card carries the code in force at issue
        region = self.rng.choice(list(REGIONS))
        seq = self.rng.randrange(0, 50) * 2 + (1 if male else 0)  # odd = male
        body = f"{region}{born:%Y%m%d}{seq:02d}{seq % 10}"
        number = body + ric.calc_check_digit(body + "0")  # stdnum wants a placeholder digit
        return valid_resident_id(number), REGIONS[region]

    def birth_date(self) -> date:
        return date(1950, 1, 1) + timedelta(days=self.rng.randrange(0, 365 * 55))

    def mobile(self) -> str:
        self._n += 1
        return self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(0, 10**8):08d}"

    def customer(self, foreign_share: float = 0.12) -> dict[str, Any]:
        born = self.birth_date()
        male = self.rng.random() < 0.5
        if self.rng.random() < foreign_share:
            country, phone_fmt, _ = self.rng.choice(FOREIGN)
            first, last = self.en.first_name(), self.en.last_name()
            return {
                "name": f"{first} {last}",
                "phone": phone_fmt.format(self.rng.randrange(0, 100)),
                "email": f"{first.lower()}.{self.rng.randrange(10**6)}@example.com",
                "id_type": "passport",
                "id_number": f"{country[0]}{self.rng.randrange(10**7, 10**8)}",
                "gender": "male" if male else "female",
                "birth_date": born.isoformat(),
                "nationality": country,
                "address": self.en.address().replace("\n", ", "),
            }
        number, city = self.resident_id(born, male)
        return {
            "name": self.zh.name(),
            "phone": self.mobile(),
            "email": f"{self.zh.user_name()}{self.rng.randrange(10**6)}@example.cn",
            "id_type": "cn_resident_id",
            "id_number": number,
            "gender": "male" if male else "female",
            "birth_date": born.isoformat(),
            "nationality": "CN",
            "address": city + self.zh.street_address(),
        }

    def customers(self, n: int) -> Iterator[dict[str, Any]]:
        for _ in range(n):
            yield self.customer()

    def preferences(self, industry: str) -> dict[str, Any]:
        r = self.rng
        base: dict[str, Any] = {
            "language": r.choice(["zh", "en"]),
            "contact_time": r.choice(["morning", "evening", "any"]),
        }
        if industry == "travel":
            base.update(
                seat=r.choice(["window", "aisle"]),
                meal=r.choice(["standard", "vegetarian"]),
                travel_style=r.choice(["family", "independent", "group"]),
            )
        elif industry == "hotel":
            base.update(
                floor=r.choice(["low", "high"]),
                pillow=r.choice(["soft", "firm"]),
                smoking="non_smoking",
            )
        else:
            base.update(delivery_window=r.choice(["weekday", "evening"]), parcel_locker="yes")
        return base

    def booking(self) -> dict[str, str]:
        start = date.today() + timedelta(days=self.rng.randrange(-300, 120))
        return {
            "product": self.rng.choice(
                ["云南六日游", "日本关西五日", "三亚自由行", "Paris 7 days"]
            ),
            "destination": self.rng.choice(["昆明", "大阪", "三亚", "Paris"]),
            "start_date": start.isoformat(),
            "end_date": (start + timedelta(days=self.rng.randrange(3, 8))).isoformat(),
            "travellers": str(self.rng.randrange(1, 5)),
            "amount": f"{self.rng.randrange(2000, 30000)}.00",
        }

    def stay(self) -> dict[str, str]:
        start = date.today() + timedelta(days=self.rng.randrange(-300, 30))
        return {
            "room": f"{self.rng.randrange(2, 30)}{self.rng.randrange(1, 40):02d}",
            "check_in": start.isoformat(),
            "check_out": (start + timedelta(days=self.rng.randrange(1, 5))).isoformat(),
            "spend": f"{self.rng.randrange(300, 8000)}.00",
            "special_requests": self.rng.choice(["无烟房", "高楼层", "加床", "安静房间"]),
        }

    def shipment(self) -> dict[str, str]:
        return {
            "sender_name": self.zh.name(),
            "sender_phone": self.mobile(),
            "sender_address": self.rng.choice(list(REGIONS.values())) + self.zh.street_address(),
            "recipient_name": self.zh.name(),
            "recipient_phone": self.mobile(),
            "recipient_address": self.rng.choice(list(REGIONS.values())) + self.zh.street_address(),
            "item_type": self.rng.choice(["文件", "服装", "电子产品", "食品"]),
        }
