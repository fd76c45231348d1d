"""A field left out of a form or multipart body is "not sent", as in JSON (governance.api_input)."""

import contextlib
import functools

import pytest
from django.http import QueryDict
from drf_spectacular.generators import SchemaGenerator
from rest_framework import serializers
from rest_framework.fields import empty

from governance.api_input import InputFieldsMixin
from petitions.models import MatterEvent, State
from tests.api.matter_states import civil, database_state


@functools.cache
def request_serializers() -> dict[str, serializers.Serializer]:
    """Every serializer the API reads a request body with, from the schema."""
    generator = SchemaGenerator()
    schema = generator.get_schema(request=None, public=True)
    names = set()
    for path in schema["paths"].values():
        for operation in path.values():
            if isinstance(operation, dict) and operation.get("requestBody"):
                for media in operation["requestBody"]["content"].values():
                    if "$ref" in media["schema"]:
                        names.add(media["schema"]["$ref"].rsplit("/", 1)[1])
    components = {key[0]: component.object for key, component in generator.registry._components.items()}
    return {type(components[name]).__name__: type(components[name]) for name in sorted(names)}


def boolean_fields():
    return [
        (name, field_name)
        for name, cls in request_serializers().items()
        for field_name, field in cls().fields.items()
        if isinstance(field, serializers.BooleanField) and not field.read_only
    ]


def test_every_request_serializer_reads_forms_as_json():
    serializers_ = request_serializers()
    assert len(serializers_) > 20
    unhardened = sorted(name for name, cls in serializers_.items() if not issubclass(cls, InputFieldsMixin))
    assert unhardened == []


@pytest.mark.parametrize(("serializer", "field_name"), boolean_fields())
def test_a_boolean_left_out_of_a_form_is_not_sent(serializer, field_name):
    field = request_serializers()[serializer]().fields[field_name]
    form = QueryDict("note=x", mutable=True)

    assert field.get_value(form) is empty
    if field.required:
        with pytest.raises(serializers.ValidationError) as refused:
            field.validate_empty_values(empty)
        assert refused.value.detail[0].code == "required"
    else:
        with pytest.raises(serializers.SkipField) if field.default is empty else contextlib.nullcontext():
            field.validate_empty_values(empty)


def test_the_api_has_boolean_inputs_to_check():
    assert ("VerifySerializer", "passed") in boolean_fields()
    assert ("ItemUpdateSerializer", "is_active") in boolean_fields()


def test_verify_sent_as_a_form_without_passed_is_400_and_changes_nothing(mw, api_client):
    matter = civil(mw, State.VERIFYING)
    api_client.force_authenticate(mw.users.cadre)
    before = database_state()

    response = api_client.post(f"/api/v1/matters/{matter.pk}/verify/", {"note": "看过了"})

    assert response.status_code == 400
    assert "passed" in response.json()
    assert database_state() == before
    assert not MatterEvent.objects.filter(matter=matter, action="verify").exists()


def test_verify_sent_as_a_form_with_passed_still_works(mw, api_client):
    matter = civil(mw, State.VERIFYING)
    api_client.force_authenticate(mw.users.cadre)

    response = api_client.post(f"/api/v1/matters/{matter.pk}/verify/", {"passed": "true", "note": "看过了"})

    assert response.status_code == 200, response.json()
    assert response.json()["state"] == State.EVALUATING


def test_a_many_field_left_out_of_a_form_keeps_its_default(mw, api_client):
    from petitions.serializers import DeliberateSerializer

    field = DeliberateSerializer().fields["participants"]

    assert field.get_value(QueryDict("summary=x")) is empty
    assert field.get_value(QueryDict("participants=1&participants=2")) == ["1", "2"]


def test_every_text_and_list_input_of_the_api_is_bounded():
    unbounded = [
        (name, field_name)
        for name, cls in request_serializers().items()
        for field_name, field in cls().fields.items()
        if not field.read_only
        and isinstance(field, serializers.CharField | serializers.ListField)
        and field.max_length is None
    ]
    assert unbounded == []


def test_the_public_api_refuses_a_description_longer_than_the_limit(world, api_client):
    from governance.limits import TEXT_LONG
    from petitions.models import Matter

    payload = {
        "title": "路灯坏了",
        "village": world.qixing.pk,
        "submitter_name": "王五",
        "submitter_phone": "15900001111",
    }
    response = api_client.post("/api/v1/public/matters/", {**payload, "description": "长" * (TEXT_LONG + 1)})

    assert response.status_code == 400 and response.json()["description"][0]
    assert not Matter.objects.exists()
    ok = api_client.post("/api/v1/public/matters/", {**payload, "description": "长" * TEXT_LONG}, format="json")
    assert ok.status_code == 201, ok.json()
