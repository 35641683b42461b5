from django.apps import AppConfig


class TrainingConfig(AppConfig):
    """Training, exams, confidentiality agreements and duties (issue #14; R-I1, R-I2,
    R-D7, R-J2). Joins the core through `participant.py` (the participant contract): the
    gate asks its staff withholder whether a member of staff is trained (decision 0030)."""

    name = "baomi.training"
    label = "training"
    verbose_name = "培训 / training"
