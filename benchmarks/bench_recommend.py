"""Next-best product: hit rate@10 against the popularity baseline (issue #18 §3).

    .venv/bin/python benchmarks/bench_recommend.py [--customers N] [--seed S]

Synthetic histories with planted preferences (`baomi.insights.recommend.synthetic`: each
customer has a travel style; 80 % of bookings from it, Zipf popularity), the last booking
of each customer held out, the co-occurrence model trained on the rest with the product's
minimum support k = 10 (the same suppression as production). Prints one JSON object with
both hit rates and the wall time. Pure Python, no database, no personal data.
"""

from __future__ import annotations

import argparse
import json
import time

from baomi.insights import recommend


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    t = time.perf_counter()
    histories, catalogue = recommend.synthetic(customers=args.customers, seed=args.seed)
    out = dict(recommend.hit_rate(histories))
    out.update(products=len(catalogue), seconds=round(time.perf_counter() - t, 3))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
