"""Third parties (R-G1, R-G2, R-G3): the partner register with agreements and yearly audits,
disclosures prepared through the access gate and sent as packages encrypted to the
partner's key, and lawful requests from the authorities under two approvals. See
docs/sharing.md."""
