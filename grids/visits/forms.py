"""Forms of the visit pages (走访). They parse and check input; grids.visits.services writes.

The visit form is complete without JavaScript: it posts to its page, which calls
grids.visits.services.visit_record with the client UUID generated here, so a second post of the
same form finds the stored visit instead of writing another. static/js/visits.js takes
the same form over when it can: the visit goes to the phone's outbox and from there to
the API, with the same field names.
"""

import uuid
from html import escape

from django import forms
from django.forms.utils import flatatt
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from governance.limits import BoundedTextForm
from grids.models import Household
from grids.visits.models import Visit
from grids.visits.services import MAX_VISIT_PHOTOS

# Short labels for the big buttons; the model's labels are for lists and exports.
METHOD_CHOICES = [
    (Visit.Method.HOME, _("Into the home")),
    (Visit.Method.SIT_DOWN, _("Sat down and talked")),
    (Visit.Method.COURTYARD, _("Walked the courtyard")),
    (Visit.Method.GRID, _("Walked the grid")),
]
MET_CHOICES = [
    (Visit.Met.HEAD, _("The head of household")),
    (Visit.Met.MEMBER, _("A family member")),
    (Visit.Met.NEIGHBOUR, _("A neighbour")),
    (Visit.Met.NOBODY, _("Nobody was home")),
]
RESULT_CHOICES = [
    (Visit.Result.NOTHING, _("All well")),
    (Visit.Result.SOLVED, _("Solved on the spot")),
    (Visit.Result.FOLLOW_UP, _("Needs another visit")),
]
WALK_METHODS = {Visit.Method.GRID, Visit.Method.COURTYARD}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos in one file input (the service checks and re-encodes each)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else [data] if data else []
        files = [super(PhotosField, self).clean(file, initial) for file in files if file]
        if len(files) > MAX_VISIT_PHOTOS:
            raise forms.ValidationError(_("A visit may have at most %(count)d photos.") % {"count": MAX_VISIT_PHOTOS})
        return files


def household_label(row: dict) -> str:
    place = row["grid__name"] + (f" {row['courtyard__name']}" if row.get("courtyard__name") else "")
    return " · ".join(part for part in (row["head_name"], row["number"], place) if part)


class DetailSelect(forms.Select):
    """A select whose options carry data attributes, so the page can show what was chosen
    (the household's name and place, a courtyard's grid) without asking the server."""

    def __init__(self, *args, details=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.details = details or {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex=subindex, attrs=attrs)
        option["attrs"].update(self.details.get(str(value), {}))
        return option

    def render(self, name, value, attrs=None, renderer=None):
        # Written out here rather than through Django's option templates: a village's select
        # holds every household (the form is kept offline for all of them), 1 300 options,
        # and a template per option was most of the form's time. Same markup, flat choices.
        chosen = next(iter(self.format_value(value)), None)
        options = []
        for key, label in self.choices:
            key = "" if key is None else str(key)
            selected = key == chosen
            if selected:
                chosen = None  # one selected option, as Django's Select does
            detail = "".join(f' {attr}="{escape(str(v))}"' for attr, v in self.details.get(key, {}).items())
            options.append(OPTION.format(escape(key), " selected" if selected else "", detail, escape(str(label))))
        select = flatatt(self.build_attrs(self.attrs, {**(attrs or {}), "name": name}))
        # flatatt escapes the select's attributes, and every option's parts were escaped above.
        return mark_safe(f"<select{select}>\n" + "\n".join(options) + "\n</select>")  # nosec B308 B703


OPTION = '<option value="{}"{}{}>{}</option>'


class VisitForm(BoundedTextForm):
    """One visit: a household (then `met` applies), or a walk of a grid or a courtyard."""

    client_uuid = forms.UUIDField(widget=forms.HiddenInput)
    household = forms.TypedChoiceField(label=_("Household"), coerce=int, required=False, empty_value=None)
    grid = forms.TypedChoiceField(label=_("Grid walked"), coerce=int, required=False, empty_value=None)
    courtyard = forms.TypedChoiceField(label=_("Courtyard walked"), coerce=int, required=False, empty_value=None)
    method = forms.ChoiceField(label=_("How"), choices=METHOD_CHOICES, widget=forms.RadioSelect)
    met = forms.ChoiceField(label=_("Who you met"), choices=MET_CHOICES, widget=forms.RadioSelect, required=False)
    result = forms.ChoiceField(label=_("Result"), choices=RESULT_CHOICES, widget=forms.RadioSelect)
    notes = forms.CharField(
        label=_("What you found"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Needs, problems, what the family asked for."),
    )
    action_taken = forms.CharField(
        label=_("What you did"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    raise_matter = forms.BooleanField(label=_("Raise a matter from this visit"), required=False)
    matter_title = forms.CharField(
        label=_("Title of the matter"),
        required=False,
        max_length=200,
        help_text=_("Empty: the first line of what you found."),
    )
    photos = PhotosField(
        label=_("Photos"),
        required=False,
        help_text=_("At most %(count)d photos.") % {"count": MAX_VISIT_PHOTOS},
    )
    visited_at = forms.DateTimeField(
        label=_("When"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    latitude = forms.DecimalField(max_digits=9, decimal_places=6, required=False, widget=forms.HiddenInput)
    longitude = forms.DecimalField(max_digits=9, decimal_places=6, required=False, widget=forms.HiddenInput)

    def __init__(self, *args, households, grids, courtyards, **kwargs):
        """`households`: rows of households_to_visit(...).values(); `grids`, `courtyards`:
        the places the user may walk (grids.visits.views.walk_places)."""
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("client_uuid", uuid.uuid4())
        self.households = {row["pk"]: row for row in households}
        self.grids = {grid.pk: grid for grid in grids}
        self.courtyards = {courtyard.pk: courtyard for courtyard in courtyards}
        household = self.fields["household"]
        labels = {row["pk"]: household_label(row) for row in households}
        household.choices = [("", _("No household: a walk of the grid or a courtyard")), *labels.items()]
        household.widget = DetailSelect(
            choices=household.choices,
            # The top of the form names the household (its label up to the first " · ", the
            # head or else the number: static/js/visits.js) and says this; 1 300 options on a
            # village's form, so nothing the script can read from the label is repeated.
            details={
                str(row["pk"]): {
                    "data-detail": " · ".join(
                        part for part in (row["number"], labels[row["pk"]].split(" · ")[-1], row["address"]) if part
                    ),
                }
                for row in households
            },
        )
        self.fields["grid"].choices = [(grid.pk, f"{grid.village.name} {grid.name}") for grid in grids]
        courtyard = self.fields["courtyard"]
        courtyard.choices = [("", _("Choose the courtyard"))] + [
            (c.pk, f"{c.grid.name} · {c.name}") for c in courtyards
        ]
        courtyard.widget = DetailSelect(
            choices=courtyard.choices, details={str(c.pk): {"data-grid": c.grid_id} for c in courtyards}
        )

    def clean(self):
        data = super().clean()
        method = data.get("method")
        if data.get("household") is not None:
            # The household decides the grid and courtyard; the walk fields do not apply.
            data["grid"] = data["courtyard"] = None
        elif method == Visit.Method.GRID:
            data["courtyard"] = None
        elif method == Visit.Method.COURTYARD and data.get("courtyard") is None:
            self.add_error("courtyard", _("Choose the courtyard you walked."))
        elif method and method not in WALK_METHODS:
            self.add_error("household", _("Choose the household you visited."))
        if data.get("household") is None:
            data["met"] = ""
        return data

    def record_kwargs(self) -> dict:
        """The keyword arguments of grids.visits.services.visit_record for this form."""
        data = self.cleaned_data
        household = data.get("household")
        return {
            "client_uuid": data["client_uuid"],
            "visited_at": data["visited_at"],
            "method": data["method"],
            "household": Household.objects.get(pk=household) if household is not None else None,
            "grid": self.grids.get(data.get("grid")),
            "courtyard": self.courtyards.get(data.get("courtyard")),
            "met": data.get("met") or "",
            "notes": data.get("notes", ""),
            "action_taken": data.get("action_taken", ""),
            "result": data["result"],
            "latitude": data.get("latitude"),
            "longitude": data.get("longitude"),
            "raise_matter": data.get("raise_matter", False),
            "matter_title": data.get("matter_title", ""),
        }


class VisitTodoFilterForm(forms.Form):
    """The to-visit list's filters (GET). Invalid values are ignored."""

    courtyard = forms.TypedChoiceField(label=_("Courtyard"), coerce=int, required=False, empty_value=None)
    tag = forms.TypedChoiceField(label=_("Tag"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args, courtyards, tags, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["courtyard"].choices = [("", _("All courtyards"))] + [
            (c.pk, f"{c.grid.name} · {c.name}") for c in courtyards
        ]
        self.fields["tag"].choices = [("", _("All tags"))] + [(t.pk, t.name) for t in tags]
        if not courtyards:
            del self.fields["courtyard"]
        if not tags:
            del self.fields["tag"]

    def filters(self) -> dict:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {name: data.get(name) for name in self.fields if name not in self.errors}


class VisitLogFilterForm(forms.Form):
    """The visit log's filters (GET): grid, person, dates, household. Invalid values are ignored."""

    grid = forms.TypedChoiceField(label=_("Grid"), coerce=int, required=False, empty_value=None)
    author = forms.TypedChoiceField(label=_("Visited by"), coerce=int, required=False, empty_value=None)
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    # Set by the household page's link; the page checks the household is in the user's sight.
    household = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput)

    def __init__(self, *args, grids, authors, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid"].choices = [("", _("All grids"))] + [(g.pk, f"{g.village.name} {g.name}") for g in grids]
        self.fields["author"].choices = [("", _("Everyone"))] + [
            (u.pk, u.get_full_name() or u.username) for u in authors
        ]
        # A filter with a single choice is noise on a phone.
        if len(grids) < 2:
            del self.fields["grid"]
        if len(authors) < 2:
            del self.fields["author"]

    def filters(self) -> dict:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {name: data.get(name) for name in self.fields if name not in self.errors}
