"""governance.forms.QuickSelect writes what Django's select templates write, in Python."""

import re

import pytest
from django import forms

from governance.forms import QuickSelect

CHOICES = [
    ("", "全部"),
    ("a", "甲 <b>&"),
    ("b", 'with "quotes"'),
    ("Group", [("g1", "一"), ("g2", "二")]),
    (3, "three"),
]


def _same(html: str) -> str:
    return re.sub(r">\s+<", "><", html.strip())


@pytest.mark.parametrize("value", [None, "", "a", "g2", 3, "3", "missing"])
@pytest.mark.parametrize("attrs", [None, {"id": "id_x", "class": "wide", "aria-describedby": "h", "disabled": True}])
def test_a_quick_select_is_the_same_markup_as_djangos(value, attrs):
    mine = QuickSelect(choices=CHOICES).render("x", value, attrs)
    django = forms.Select(choices=CHOICES).render("x", value, attrs)
    assert _same(mine) == _same(django)
    assert "&lt;b&gt;&amp;" in mine and "&quot;quotes&quot;" in mine


def test_a_quick_select_in_a_bound_form_keeps_the_choice(db):
    class F(forms.Form):
        pick = forms.ChoiceField(choices=CHOICES[:3], required=False, widget=QuickSelect)

    html = str(F({"pick": "b"})["pick"])
    assert '<option value="b" selected>' in html
    assert html.startswith('<select name="pick" id="id_pick">')


@pytest.mark.parametrize("multiple", [False, True])
def test_a_quick_select_of_places_is_the_same_markup_as_djangos(world, multiple):
    from grids.models import Grid

    field = forms.ModelMultipleChoiceField if multiple else forms.ModelChoiceField
    grids = Grid.objects.select_related("village").order_by("pk")
    value = [world.q2.pk] if multiple else world.q2.pk
    widget = forms.SelectMultiple if multiple else forms.Select

    class Mine(forms.Form):
        grid = field(queryset=grids, required=False, widget=type("Quick", (QuickSelect, widget), {}))

    class Djangos(forms.Form):
        grid = field(queryset=grids, required=False, widget=widget)

    mine, django = str(Mine({"grid": value})["grid"]), str(Djangos({"grid": value})["grid"])
    assert _same(mine) == _same(django)
    assert f'<option value="{world.q2.pk}" selected>' in mine
