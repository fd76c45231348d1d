"""The outbox (one Delivery per message and channel) and who wants what by which channel."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from governance.masking import mask_phone


class Kind(models.TextChoices):
    REMINDER = "reminder", _("reminders")
    ASSIGNMENT = "assignment", _("assignments")
    SUPERVISION = "supervision", _("督办 and escalations")
    APPROVAL = "approval", _("approvals")
    OTHER = "other", _("other messages")
    # SMS to a resident who asked for updates on the public form (petitions.resident_sms):
    # no account, so no inbox row and no choices on the staff's settings page.
    RESIDENT = "resident", _("updates to residents")


# The kinds staff receive and choose channels for (the settings page, the defaults).
STAFF_KINDS = tuple(kind for kind in Kind if kind != Kind.RESIDENT)


class Channel(models.TextChoices):
    EMAIL = "email", _("e-mail")
    SMS = "sms", _("SMS")
    WECOM = "wecom", _("企业微信")


class Delivery(models.Model):
    """One message on one channel. Written with the notification in the caller's transaction,
    sent by a Celery task after commit (or by the sweep), claimed before sending so that two
    workers never both send it. `dedupe_key` makes a rerun of whatever queued it harmless."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        HELD = "held", _("held (quiet hours or rate limit)")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed, will retry")
        GAVE_UP = "gave_up", _("gave up")
        SUPPRESSED = "suppressed", _("not sent (withdrawn)")

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="deliveries"
    )
    notification = models.ForeignKey(
        "governance.Notification", on_delete=models.SET_NULL, null=True, blank=True, related_name="deliveries"
    )
    address = models.CharField(_("address"), max_length=254)
    template_key = models.CharField(_("template"), max_length=30, blank=True)
    params = models.JSONField(_("template parameters"), default=dict, blank=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"), blank=True)
    urgent = models.BooleanField(_("urgent"), default=False)
    # Paced rows (a batch spread under the provider's rate) are sent in not_before order.
    paced = models.BooleanField(default=False)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    not_before = models.DateTimeField(_("not before"), default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    provider = models.CharField(_("provider"), max_length=20, blank=True)
    provider_message_id = models.CharField(_("provider's message id"), max_length=100, blank=True)
    provider_answer = models.JSONField(_("provider's answer"), null=True, blank=True)
    dedupe_key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["not_before"],
                condition=Q(status__in=["queued", "held", "failed", "sending"]),
                name="delivery_pending",
            ),
            models.Index(fields=["address", "sent_at"], name="delivery_address_sent"),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} {self.masked_address}"

    @property
    def masked_address(self) -> str:
        return mask_phone(self.address) if self.channel == Channel.SMS else self.address


class Preference(models.Model):
    """A person's choice for one kind of message on one channel; no row means the default."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="message_preferences")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    enabled = models.BooleanField(_("on"))

    class Meta:
        verbose_name = _("message preference")
        verbose_name_plural = _("message preferences")
        constraints = [models.UniqueConstraint(fields=["user", "kind", "channel"], name="preference_unique")]


class TownshipChannel(models.Model):
    """Whether a township lets its people receive one kind of message on one channel (SMS
    costs money); no row means allowed."""

    township = models.ForeignKey("grids.Township", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    allowed = models.BooleanField(_("allowed"))

    class Meta:
        verbose_name = _("township's channel")
        verbose_name_plural = _("townships' channels")
        constraints = [models.UniqueConstraint(fields=["township", "kind", "channel"], name="township_channel_unique")]


class Contact(models.Model):
    """A person's 企业微信 account (its userid in the corp's address book)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="message_contact")
    wecom_userid = models.CharField(_("企业微信 userid"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("message contact")
        verbose_name_plural = _("message contacts")
