"""The transition table (petitions.workflow) and its one core, matter_transition."""

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIRequestFactory, force_authenticate

from petitions import api, forms, serializers, views, workflow
from petitions.models import OPEN_STATES, Kind, MatterEvent, State
from petitions.services import matter_classify, matter_withdraw
from petitions.urls import ACTIONS, EXTRA
from petitions.workflow import SYSTEM, TRANSITIONS, MatterPermissionError, MatterStateError, matter_transition


def test_every_entry_is_complete():
    workflow._load_effects()
    for name, t in TRANSITIONS.items():
        assert t.action == name
        assert t.sources and t.sources <= set(State.values), name
        assert t.label and t.timeline, name
        assert name in workflow.EFFECTS, f"{name} has no effect"
        assert t.system or callable(t.allows), f"{name} has no predicate"
        if t.system:
            assert not t.offered and not t.input, name
            continue
        # Every action a person takes has one input, the API's serializer ...
        assert hasattr(serializers, t.input), name
        assert t.api, name
        if t.form:
            # ... and the page's form is named after the same fields.
            form = getattr(forms, t.form)
            if issubclass(form, forms.ActionForm):
                assert set(workflow.input_fields(name)) >= set(form.base_fields) - {"form_token"}, name
        if t.offered:
            assert t.form and t.button and t.done, name
            assert t.title or name == "deliberate", name


def test_the_page_and_the_api_serve_what_the_table_lists():
    assert set(ACTIONS.split("|")) == set(workflow.PAGE_ACTIONS)
    assert set(EXTRA.split("|")) == {*workflow.CLOCK_ACTIONS, "photo"}
    endpoints = {a.__name__: a for a in api.MatterViewSet.get_extra_actions()}
    for name in workflow.API_ACTIONS:
        assert endpoints[name].mapping == {"post": name}
    public = {a.__name__ for a in api.PublicMatterViewSet.get_extra_actions()}
    assert public == set(workflow.PUBLIC_ACTIONS) == {"evaluate", "withdraw", "request_review"}


def test_matter_transition_refuses_403_before_409_and_writes_nothing(mw):
    matter = mw.staff_matter()
    matter_withdraw(matter=matter, actor=mw.users.cadre, reason="重复")
    events = MatterEvent.objects.filter(matter=matter).count()

    # Withdrawn: the other village's cadre is refused for the role before the state ...
    with pytest.raises(MatterPermissionError):
        matter_transition(matter=matter, actor=mw.users.other_cadre, action="classify", kind=Kind.CIVIL, category=None)
    # ... and the right cadre for the state, before the payload (a missing category) is read.
    with pytest.raises(MatterStateError):
        matter_transition(matter=matter, actor=mw.users.cadre, action="classify", kind=Kind.CIVIL, category=None)
    assert MatterEvent.objects.filter(matter=matter).count() == events


def test_the_sweep_and_people_take_only_their_own_actions(mw):
    matter = mw.staff_matter()
    matter_classify(matter=matter, actor=mw.users.cadre, kind=Kind.CIVIL, category=mw.categories.environment)
    with pytest.raises(MatterPermissionError):
        matter_transition(matter=matter, actor=mw.users.cadre, action="warn")
    with pytest.raises(MatterPermissionError):
        matter_transition(matter=matter, actor=SYSTEM, action="supervise", note="x")
    # The submitter (by tracking code) may only evaluate and withdraw.
    with pytest.raises(MatterPermissionError):
        matter_transition(matter=matter, actor=None, action="supervise", note="x")
    matter, event = matter_transition(matter=matter, actor=None, action="withdraw", reason="")
    assert (matter.state, event.actor_label, event.from_state) == (State.WITHDRAWN, "submitter", State.CLASSIFIED)


def test_the_effect_validates_after_the_checks_and_a_refusal_leaves_nothing(mw):
    matter = mw.staff_matter()
    with pytest.raises(ValidationError) as refused:
        matter_transition(matter=matter, actor=mw.users.cadre, action="reject", reason="  ")
    assert "reason" in refused.value.message_dict
    matter.refresh_from_db()
    assert matter.state == State.SUBMITTED
    assert list(MatterEvent.objects.filter(matter=matter).values_list("action", flat=True)) == ["submit"]


@pytest.fixture
def remind(monkeypatch):
    """A new action, added the documented way: one entry and its effect."""
    entry = workflow.Transition(
        "remind",
        OPEN_STATES,
        "Remind",
        allows=workflow._supervisor,
        told=workflow._tell_supervise,
        input="SuperviseSerializer",
        form="SuperviseForm",
        api="Remind the next actor.",
        button="Send the reminder",
        title="Remind",
        done="Reminded.",
        timeline="Reminded",
        public_step=None,
        secondary=True,
    )
    monkeypatch.setitem(TRANSITIONS, "remind", entry)

    def _remind(matter, actor, *, note):
        return workflow.Change({"note": note.strip()})

    workflow._load_effects()
    monkeypatch.setitem(workflow.EFFECTS, "remind", _remind)
    monkeypatch.setattr(api.MatterViewSet, "remind", api._endpoint("remind"), raising=False)
    return entry


def test_an_action_added_to_the_table_is_offered_served_and_recorded(mw, remind, rf):
    matter = mw.staff_matter()
    matter_classify(matter=matter, actor=mw.users.cadre, kind=Kind.CIVIL, category=mw.categories.environment)
    leader = mw.users.leader

    assert "remind" in workflow.available_actions(leader, matter)
    assert "remind" not in workflow.available_actions(mw.users.grid1, matter)

    # The API: POST /api/v1/matters/{id}/remind/ through the table's endpoint.
    request = APIRequestFactory().post(f"/api/v1/matters/{matter.pk}/remind/", {"note": "请尽快"}, format="json")
    force_authenticate(request, user=leader)
    response = api.MatterViewSet.as_view({"post": "remind"})(request, pk=matter.pk)
    assert response.status_code == 200, response.data
    assert "remind" in response.data["actions"]
    event = MatterEvent.objects.filter(matter=matter).latest("id")
    assert (event.action, event.actor, event.payload) == ("remind", leader, {"note": "请尽快"})

    # The page: its panel, with the table's title and button, folded as a secondary one.
    request = rf.get(f"/matters/{matter.pk}/")
    request.user = leader
    fresh = views.matter_detail_queryset(leader).get(pk=matter.pk)
    panels = {p["action"]: p for p in views.detail_context(request, fresh)["panels"]}
    assert panels["remind"]["title"] == "Remind" and panels["remind"]["button"] == "Send the reminder"
    assert panels["remind"]["secondary"]
    rows = views.timeline(fresh, {})
    assert rows[-1]["label"] == "Reminded"


def test_events_outside_the_table_have_their_own_timeline_line():
    """A photo added as evidence reads as such on the timeline, in Chinese too (not "photo")."""
    from django.utils import translation

    with translation.override("en"):
        assert workflow.event_label("photo") == "Photo added"
    with translation.override("zh-hans"):
        assert workflow.event_label("photo") == "上传照片"
        assert workflow.event_label("submit") == "提交"
