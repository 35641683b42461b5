"""Data-subject rights (R-F1, R-F2, R-C5): requests and their state machine, the SLA clock
on the mainland working-day calendar, erasure with tombstones and certificates,
restriction, access copies, and backups that respect erasure."""
