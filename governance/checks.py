"""System checks for the keys that protect personal data (run by `manage.py check`).

A Fernet key that does not parse would only fail on the first ID number saved; keys shared
with SECRET_KEY (or with each other) would let one leak open everything. Both are refused at
start. The development defaults are refused by `check --deploy`.
"""

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import Error, Tags, register

DEV_KEYS_HINT = (
    "Generate one with: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
)


@register(Tags.security)
def check_id_keys(app_configs, **kwargs):
    errors = []
    keys = list(getattr(settings, "ID_ENCRYPTION_KEYS", []))
    if not keys:
        errors.append(Error("ID_ENCRYPTION_KEYS is empty.", hint=DEV_KEYS_HINT, id="cunzhi.E001"))
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode())
        except (ValueError, TypeError):
            errors.append(
                Error(
                    f"ID_ENCRYPTION_KEYS: key number {position} is not a valid Fernet key (32 bytes, URL-safe base64).",
                    hint=DEV_KEYS_HINT,
                    id="cunzhi.E002",
                )
            )
    if len(set(keys)) != len(keys):
        errors.append(Error("ID_ENCRYPTION_KEYS lists the same key twice.", id="cunzhi.E003"))
    hash_key = getattr(settings, "ID_HASH_KEY", "")
    if not hash_key:
        errors.append(Error("ID_HASH_KEY is empty.", id="cunzhi.E004"))
    secret = settings.SECRET_KEY
    if hash_key and hash_key == secret:
        errors.append(
            Error(
                "ID_HASH_KEY is the same as SECRET_KEY.",
                hint="The ID number keys must be their own secrets, never derived from or shared with SECRET_KEY.",
                id="cunzhi.E005",
            )
        )
    if secret in keys or (hash_key and hash_key in keys):
        errors.append(
            Error(
                "A key in ID_ENCRYPTION_KEYS is also used as SECRET_KEY or ID_HASH_KEY.",
                hint="Every key must be a secret of its own.",
                id="cunzhi.E006",
            )
        )
    return errors


@register(Tags.security, deploy=True)
def check_no_development_keys(app_configs, **kwargs):
    from governance import settings as project_settings

    development = {
        "SECRET_KEY": (settings.SECRET_KEY, project_settings._DEV_SECRET),
        "ID_HASH_KEY": (getattr(settings, "ID_HASH_KEY", ""), project_settings._DEV_ID_HASH_KEY),
    }
    errors = [
        Error(f"{name} is the development default.", hint="Set it in the environment.", id="cunzhi.E010")
        for name, (value, default) in development.items()
        if value == default
    ]
    if project_settings._DEV_ID_ENCRYPTION_KEY in getattr(settings, "ID_ENCRYPTION_KEYS", []):
        errors.append(
            Error(
                "ID_ENCRYPTION_KEYS holds the development default key.",
                hint="Set your own keys in the environment.",
                id="cunzhi.E011",
            )
        )
    return errors
