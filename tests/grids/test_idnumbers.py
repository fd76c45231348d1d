import io

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ValidationError
from django.core.management import call_command

from governance.masking import mask_phone
from grids.idnumbers import decrypt_id_number, mask_id_number, validate_id_number, validate_phone
from grids.models import Resident


@pytest.mark.parametrize(
    "number",
    ["11010519491231002X", "500117198003150010", "440524190001010017"],
)
def test_valid_id_numbers(number):
    assert validate_id_number(number.lower()) == number


@pytest.mark.parametrize(
    "number",
    ["110105194912310021", "50011719800315001", "500117198002300017x", "5001171980023000AA", "500117198013010011"],
)
def test_invalid_id_numbers(number):
    with pytest.raises(ValidationError):
        validate_id_number(number)


def test_an_id_number_born_too_long_ago_or_in_the_future_is_refused():
    from grids.idnumbers import id_check_char

    for birth in ("18000101", "20990101"):
        body = f"500117{birth}001"
        with pytest.raises(ValidationError) as refused:
            validate_id_number(body + id_check_char(body))
        assert refused.value.code == "id_birth_date"


def test_masks():
    assert mask_id_number("500117198003150010") == "5001**********0010"
    assert mask_phone("15800009119") == "158****9119"


def test_phone_validation():
    assert validate_phone("158 0000 9119") == "15800009119"
    with pytest.raises(ValidationError):
        validate_phone("12345")


def test_key_rotation_reencrypts_and_old_key_can_be_dropped(world, settings):
    old_key = settings.ID_ENCRYPTION_KEYS[0]
    resident = Resident.objects.exclude(id_number_encrypted="").first()
    number = decrypt_id_number(resident.id_number_encrypted)
    new_key = Fernet.generate_key().decode()
    settings.ID_ENCRYPTION_KEYS = [new_key, old_key]
    call_command("rotate_id_keys", stdout=io.StringIO())
    settings.ID_ENCRYPTION_KEYS = [new_key]
    resident.refresh_from_db()
    assert decrypt_id_number(resident.id_number_encrypted) == number
    assert Resident.objects.exclude(id_number_encrypted="").count() == 10
