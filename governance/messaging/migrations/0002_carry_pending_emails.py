"""The notifications' e-mails still unsent (the old fields on Notification) become outbox rows
before those fields go (governance 0012)."""

from django.db import migrations


def carry(apps, schema_editor):
    Notification = apps.get_model("governance", "Notification")
    Delivery = apps.get_model("messaging", "Delivery")
    pending = Notification.objects.filter(wants_email=True, emailed_at__isnull=True, email_attempts__lt=5)
    Delivery.objects.bulk_create(
        [
            Delivery(
                channel="email",
                kind="other",
                user_id=n.user_id,
                notification_id=n.pk,
                address=n.user.email,
                subject=n.title,
                body=n.body,
                attempts=n.email_attempts,
                not_before=n.created_at,
                created_at=n.created_at,
                dedupe_key=f"n{n.pk}:email",
            )
            for n in pending.select_related("user").iterator()
            if n.user.email
        ],
        ignore_conflicts=True,
        batch_size=1000,
    )


class Migration(migrations.Migration):
    dependencies = [("messaging", "0001_initial")]

    operations = [migrations.RunPython(carry, migrations.RunPython.noop)]
