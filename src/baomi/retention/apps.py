from django.apps import AppConfig


class RetentionConfig(AppConfig):
    """Retention and destruction (issue #16 §3; R-C8): runs every rule the domains register
    through the participant contract, respects legal holds, certifies what it destroyed;
    legal holds placed by hand; the register of paper archives and their destruction."""

    name = "baomi.retention"
    label = "retention"
    verbose_name = "保存期限与销毁 / retention and destruction"
