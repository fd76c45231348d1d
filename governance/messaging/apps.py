from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    """The outbox of e-mail, SMS and 企业微信 messages, each person's choices and the
    township's allowances. Nested under governance: `notify` writes its rows."""

    name = "governance.messaging"
    label = "messaging"
    verbose_name = _("Messages")
