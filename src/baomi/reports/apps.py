from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """Supervision and reports (issue #19; R-N1, R-N2, R-N3, R-B2, R-D7): half-yearly
    inspections with checklists drawn from the registered indicators, findings to
    rectification, privacy working meetings, and generated reports (management, quarterly
    KPI evaluation, inspection, public privacy report) in PDF / XLSX / HTML."""

    name = "baomi.reports"
    label = "reports"
    verbose_name = "监督与报告 / supervision and reports"
