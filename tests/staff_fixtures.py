"""The staff accounts' fixture (governance.accounts): the world (tests/conftest.py) with a
township administrator (镇街管理员) of 渭沱镇 and one of 小沔镇, an account 渭沱镇's administrator
opened, and helpers to write .xlsx lists."""

import io
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from governance import accounts as a
from governance.models import Role
from governance.xlsx import XLSX
from tests.factories import assign, make_user

HEADER = ["用户名", "姓名", "手机号码", "电子邮箱", "初始密码"]


def xlsx(rows, header=HEADER, name="staff.xlsx") -> SimpleUploadedFile:
    """An .xlsx list: the header, then the rows."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return SimpleUploadedFile(name, out.getvalue(), content_type=XLSX)


@pytest.fixture
def sw(world):
    """The world, 渭沱镇's administrator (`weituo_admin`) and 小沔镇's (`xiaomian_admin`), and
    `opened`: an account 渭沱镇's administrator opened (its password `opened_password`)."""
    users = world.users
    users.weituo_admin = make_user("t_weituo_admin", name="渭沱镇管理员")
    users.xiaomian_admin = make_user("t_xiaomian_admin", name="小沔镇管理员")
    assign(users.weituo_admin, Role.TOWNSHIP_ADMIN, world.weituo)
    assign(users.xiaomian_admin, Role.TOWNSHIP_ADMIN, world.xiaomian)
    opened, password = a.staff_account_create(
        by=users.weituo_admin,
        township=world.weituo,
        account=a.NewAccount(username="t_new_grid", name="新网格员", phone="158 0000 1234"),
    )
    return SimpleNamespace(**world.__dict__, opened=opened, opened_password=password)
