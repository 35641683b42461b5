"""TOTP seeds sealed under the vault's KEK (issue #9 §4, baomi.access.seeds): a proxy of
django-otp's device that seals and opens them, and every seed already stored sealed in
place. Enrolled authenticators keep working: the seed is the same, only its storage
changes. Reversible: unsealing writes the hex seeds back."""

from django.db import migrations


def seal_existing(apps, schema_editor):  # type: ignore[no-untyped-def]
    from baomi.access.seeds import is_sealed, seal

    Device = apps.get_model("otp_totp", "TOTPDevice")
    for device in Device.objects.all().only("id", "user_id", "key"):
        if device.key and not is_sealed(device.key):
            Device.objects.filter(pk=device.pk).update(key=seal(device.user_id, device.key))


def unseal_all(apps, schema_editor):  # type: ignore[no-untyped-def]
    from baomi.access.seeds import is_sealed, open_seed

    Device = apps.get_model("otp_totp", "TOTPDevice")
    for device in Device.objects.all().only("id", "user_id", "key"):
        if is_sealed(device.key):
            raw = open_seed(device.user_id, device.key)
            Device.objects.filter(pk=device.pk).update(key=raw.hex())


class Migration(migrations.Migration):
    dependencies = [
        ("access", "0009_end_plain_key_sessions"),
        ("otp_totp", "0003_add_timestamps"),
    ]

    operations = [
        migrations.CreateModel(
            name="SealedTOTPDevice",
            fields=[],
            options={"proxy": True, "indexes": [], "constraints": []},
            bases=("otp_totp.totpdevice",),
        ),
        migrations.RunPython(seal_existing, unseal_all),
    ]
