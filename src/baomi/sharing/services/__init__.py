"""Every state change of the sharing domain (each writes its audit event in the same
transaction): partners.py (register, agreements, audits, suspension), disclosures.py
(prepare through the gate, encrypted package, single-use download, voiding), notices.py
(partners told of withdrawals and erasures), lawful.py (lawful requests)."""
