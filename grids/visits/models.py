"""Visits (走访) and 逢十 reminders.

The tables kept their names when the models moved here from grids (`Meta.db_table`): the
move changed Django's state only, no row moved (migrations visits 0001, grids 0006).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from governance.models import StoredPhoto, random_photo_name
from grids.models import Courtyard, Grid, Household, Township, Village, scope_indexes


class Visit(models.Model):
    """One visit (走访) by a staff member: a household, or a walk of a grid or courtyard.

    Append-only: a correction is a new visit that `supersedes` the earlier one, and only
    visits nobody superseded count. `client_uuid` is made by the phone, so a resend after a
    dropped connection finds the stored visit instead of making a second one; `fingerprint`
    tells a true replay from a different visit sent under the same UUID.
    """

    class Method(models.TextChoices):
        GRID = "grid", _("walked the grid (到格子)")
        COURTYARD = "courtyard", _("walked the courtyard (进院子)")
        HOME = "home", _("went into the home (入屋子)")
        SIT_DOWN = "sit-down", _("sat down and talked (坐凳子)")

    class Met(models.TextChoices):
        HEAD = "head", _("the head of household")
        MEMBER = "member", _("another member of the household")
        NEIGHBOUR = "neighbour", _("a neighbour")
        NOBODY = "nobody", _("nobody was home")

    class Result(models.TextChoices):
        NOTHING = "nothing", _("all well, nothing to follow up")
        SOLVED = "solved", _("solved on the spot")
        FOLLOW_UP = "follow_up", _("needs a follow-up visit")
        REPORTED = "reported", _("reported as a matter")

    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="visits")
    client_uuid = models.UUIDField(_("client UUID"))
    fingerprint = models.CharField(max_length=64, editable=False)
    township = models.ForeignKey(Township, on_delete=models.PROTECT, related_name="+")
    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="+")
    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="visits")
    courtyard = models.ForeignKey(Courtyard, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, null=True, blank=True, related_name="visits")
    visited_at = models.DateTimeField(_("visited at"))
    # The local (Asia/Shanghai) day of visited_at: the 逢十 cycle the visit counts for.
    visited_on = models.DateField(_("visit day"), editable=False)
    method = models.CharField(_("how"), max_length=20, choices=Method.choices)
    met = models.CharField(_("who was met"), max_length=20, choices=Met.choices, blank=True)
    notes = models.TextField(_("what was found"), blank=True)
    action_taken = models.TextField(_("action taken"), blank=True)
    result = models.CharField(_("result"), max_length=20, choices=Result.choices, default=Result.NOTHING)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    matter = models.ForeignKey(
        "petitions.Matter", on_delete=models.PROTECT, null=True, blank=True, related_name="visits"
    )
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "grids_visit"
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-visited_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["author", "client_uuid"], name="visit_uuid_unique_per_author"),
            models.CheckConstraint(
                condition=Q(household__isnull=False) | Q(method__in=["grid", "courtyard"]),
                name="visit_home_needs_household",
            ),
            models.CheckConstraint(
                condition=Q(method="courtyard", household__isnull=True, courtyard__isnull=False)
                | ~Q(method="courtyard")
                | Q(household__isnull=False),
                name="visit_courtyard_walk_needs_courtyard",
            ),
        ]
        indexes = [
            models.Index(fields=["visited_on", "grid"]),
            models.Index(fields=["household", "visited_on"]),
            models.Index(fields=["author", "visited_on"]),
            *scope_indexes("township", "village", "grid"),
        ]

    def __str__(self):
        return f"{self.visited_on} {self.get_method_display()} {self.household or self.courtyard or self.grid}"


def visit_photo_path(photo, filename: str) -> str:
    return random_photo_name(f"visits/{photo.visit_id}")


class VisitPhoto(StoredPhoto):
    """A photo taken on a visit: re-encoded without EXIF, served only through a scoped view."""

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="photos")
    image = models.FileField(upload_to=visit_photo_path)

    class Meta(StoredPhoto.Meta):
        db_table = "grids_visitphoto"
        verbose_name = _("visit photo")
        verbose_name_plural = _("visit photos")


class Reminder(models.Model):
    """One 逢十 reminder to one person for one cycle: the row is the guarantee that it is
    sent once. It is inserted (or found) first, then claimed by setting sent_at in the
    transaction that writes the notification."""

    class Kind(models.TextChoices):
        EVE = "eve", _("the evening before")
        MORNING = "morning", _("the morning of")
        REPORT = "report", _("the report the day after")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    cycle = models.DateField(_("逢十 day"))
    kind = models.CharField(max_length=10, choices=Kind.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    notification = models.OneToOneField(
        "governance.Notification", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        db_table = "grids_reminder"
        verbose_name = _("逢十 reminder")
        verbose_name_plural = _("逢十 reminders")
        ordering = ["-cycle", "kind", "user_id"]
        constraints = [models.UniqueConstraint(fields=["user", "cycle", "kind"], name="reminder_once_per_cycle")]
        indexes = [models.Index(fields=["cycle", "kind"], condition=Q(sent_at__isnull=True), name="reminder_unsent")]


def not_superseded() -> Q:
    """The visits no correction has superseded, for .filter(): not among the few ids that
    corrections name (read from the unique `supersedes` index; no NULL among them).
    `superseded_by__isnull=True` becomes a LEFT JOIN, and NOT EXISTS an anti-join, that
    PostgreSQL answered by reading every visit of the district: 78 ms for one 逢十 day's
    roll-up, 20 ms this way."""
    return ~Q(pk__in=Visit.objects.filter(supersedes__isnull=False).values("supersedes_id"))
