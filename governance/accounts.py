"""Staff accounts kept by the township administrator (镇街管理员): open one, or many from an
.xlsx list (all rows or none), reset a password, deactivate and reactivate.

Who. A township administrator manages the accounts of their township: those opened for it
(StaffAccount.township) or by them, and those that hold or held an assignment there; never a
superuser's nor a Django-admin staff account, nor one that another township keeps or that holds
an assignment elsewhere today, nor another administrator's. Anyone without the role is refused (403,
`check_manager`); another township's account is out of scope, a 404 like one that does not
exist (`accounts_managed_by`, the one selector of the pages and the API). A superuser manages
every account.

Passwords. A password the administrator issues (opening the account, a reset) is generated
(readable, `generate_password`) or typed by the administrator (Django's validators apply), shown
to the administrator once, and must be changed at the next login (governance.passwords). A
reset or a deactivation ends the account's sessions (Django checks every session against the
password's hash and refuses an inactive user) and deletes its API tokens.

Every change is on record (governance.audited): the account's history shows the user's fields
and its StaffAccount's together.
"""

import datetime
import re
import secrets
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Count, Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from rest_framework.authtoken.models import Token

from governance.errors import Conflict, Forbidden
from governance.models import Assignment, Role, StaffAccount
from governance.roles import ADMIN_ROLES
from governance.scoping import scope_for
from governance.services import assignment_end
from governance.uploads import (
    Column,
    RowError,
    RowsRefused,
    UploadRefused,
    cell_text,
    missing_columns,
    too_many_rows,
    unheaded_column,
    xlsx_opened,
    xlsx_rows,
)
from governance.xlsx import save, write_header
from grids.models import Township

NOT_AN_ADMINISTRATOR = gettext_lazy("Staff accounts are kept by the township administrator (镇街管理员).")

# Generated passwords: three groups of four, lower-case letters and digits without the ones
# read alike (0/o, 1/l/i): about 59 bits, read out over the phone or copied from paper.
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # nosec B105: the letters passwords are drawn from, not a password
PASSWORD_GROUPS, PASSWORD_GROUP_LENGTH = 3, 4
_PHONE_SHAPE = re.compile(r"^1\d{10}$")


def generate_password() -> str:
    """A readable random password: `k7mp-3xqa-9tbe`."""
    return "-".join(
        "".join(secrets.choice(PASSWORD_ALPHABET) for _i in range(PASSWORD_GROUP_LENGTH))
        for _j in range(PASSWORD_GROUPS)
    )


# ---------------------------------------------------------------- who


def manages_accounts(user) -> bool:
    """Whether `user` keeps staff accounts (a township administrator, or the superuser)."""
    return scope_for(user).has_any_role(ADMIN_ROLES)


def check_manager(user) -> None:
    if not manages_accounts(user):
        raise Forbidden(NOT_AN_ADMINISTRATOR, code="not_township_admin")


def admin_townships(user):
    """The townships whose accounts `user` keeps (every township for the superuser)."""
    townships = Township.objects.order_by("code")
    if user.is_superuser:
        return townships
    return townships.filter(pk__in=sorted(scope_for(user).ids_for(ADMIN_ROLES)))


def accounts_managed_by(user):
    """The accounts `user` keeps, with their StaffAccount (none for anyone but an administrator)."""
    accounts = get_user_model().objects.select_related("staff_account__township")
    if user.is_superuser:
        return accounts
    townships = sorted(scope_for(user).ids_for(ADMIN_ROLES))
    if not townships:
        return accounts.none()
    held = Assignment.objects.filter(township_id__in=townships).values("user_id")
    # Never an account another township keeps or works in today, nor another administrator's or
    # a township leader's: resetting its password would hand the caller that account (and with a
    # leader's, the township's decisions), and deactivating it would end its assignments there.
    # Such accounts are the superuser's.
    current = Assignment.objects.filter(current_assignments_q())
    elsewhere = current.exclude(township_id__in=townships).values("user_id")
    above = sorted(ADMIN_ROLES | {Role.TOWNSHIP_LEADER})
    administrators = current.filter(role__in=above).exclude(user=user).values("user_id")
    kept_elsewhere = StaffAccount.objects.filter(township__isnull=False).exclude(township_id__in=townships)
    return accounts.filter(
        Q(staff_account__township_id__in=townships) | Q(staff_account__created_by=user) | Q(pk__in=held),
        is_superuser=False,
        is_staff=False,
    ).exclude(Q(pk__in=elsewhere) | Q(pk__in=administrators) | Q(pk__in=kept_elsewhere.values("user_id")))


def current_assignments_q(day: datetime.date | None = None) -> Q:
    day = day or timezone.localdate()
    return Q(valid_from__lte=day) & (Q(valid_to__isnull=True) | Q(valid_to__gte=day))


def with_current_assignments(accounts):
    """`accounts` with `current` (their assignments valid today), one more query for a page."""
    current = Assignment.objects.filter(current_assignments_q()).select_related(
        "township", "village", "grid__village", "courtyard", "department__township", "area"
    )
    return accounts.prefetch_related(Prefetch("assignments", queryset=current, to_attr="current"))


def account_counts(user) -> dict:
    """Active accounts, those still to change an issued password, and deactivated ones (one query)."""
    return accounts_managed_by(user).aggregate(
        active=Count("pk", filter=Q(is_active=True)),
        must_change=Count("pk", filter=Q(is_active=True, staff_account__must_change_password=True)),
        deactivated=Count("pk", filter=Q(is_active=False)),
    )


def search_accounts(accounts, text: str):
    """Accounts whose name, username or phone holds `text`."""
    text = text.strip()
    if not text:
        return accounts
    condition = Q(first_name__icontains=text) | Q(username__icontains=text)
    digits = re.sub(r"[\s-]", "", text)
    if digits.isdigit():
        condition |= Q(staff_account__phone__contains=digits)
    return accounts.filter(condition)


def staff_of(user) -> StaffAccount | None:
    """The account's StaffAccount, or None (an account opened before they were kept); no query
    after the selector's select_related."""
    try:
        return user.staff_account
    except get_user_model().staff_account.RelatedObjectDoesNotExist:
        return None


def password_change_required(user) -> bool:
    """Whether `user` still holds a password an administrator issued."""
    return StaffAccount.objects.filter(user=user, must_change_password=True).exists()


# ---------------------------------------------------------------- checking an account's fields


@dataclass
class NewAccount:
    """One account to open: `password` empty has one generated."""

    username: str
    name: str
    phone: str = ""
    email: str = ""
    password: str = ""

    def __post_init__(self):
        self.username = (self.username or "").strip()
        self.name = (self.name or "").strip()
        self.phone = re.sub(r"[\s-]", "", self.phone or "")
        self.email = (self.email or "").strip()
        self.password = self.password or ""


FIELD_LIMITS = {"username": 150, "name": 150, "email": 254}


def account_errors(account: NewAccount) -> dict[str, list[str]]:
    """Every problem of one account to open, by field (username, name, phone, email, password)."""
    errors: dict[str, list[str]] = {}

    def error(name: str, message) -> None:
        errors.setdefault(name, []).append(str(message))

    for name, limit in FIELD_LIMITS.items():
        if len(getattr(account, name)) > limit:
            error(name, _("At most %(limit)d characters.") % {"limit": limit})
    if not account.username:
        error("username", _("Give the account a username to log in with."))
    elif "username" not in errors:
        try:
            UnicodeUsernameValidator()(account.username)
        except ValidationError:
            error("username", _("A username holds letters, digits and @ . + - _ only, no spaces."))
        else:
            if get_user_model().objects.filter(username__iexact=account.username).exists():
                error("username", _("The username “%(username)s” is taken.") % {"username": account.username})
    if not account.name:
        error("name", _("Give the person's name."))
    if account.phone and not _PHONE_SHAPE.match(account.phone):
        error("phone", _("A mobile number has 11 digits and starts with 1, e.g. 15800001234."))
    if account.email and "email" not in errors:
        try:
            validate_email(account.email)
        except ValidationError:
            error("email", _("Give an email address such as name@example.com, or leave it empty."))
    if account.password:
        user = get_user_model()(username=account.username, first_name=account.name, email=account.email)
        for message in password_problems(account.password, user):
            error("password", message)
    return errors


def password_problems(password: str, user) -> list[str]:
    """What Django's password validators say against `password` for `user` (empty: fine)."""
    try:
        password_validation.validate_password(password, user)
    except ValidationError as refused:
        return list(refused.messages)
    return []


def _check_township(by, township) -> None:
    if township is None:
        if not by.is_superuser:
            raise ValidationError({"township": _("Choose the township that keeps the account.")})
        return
    if not admin_townships(by).filter(pk=township.pk).exists():
        raise ValidationError({"township": _("You keep the accounts of your own township only.")})


def _check_managed(by, user) -> None:
    """The services' own check of what the pages and the API found through the selector."""
    check_manager(by)
    if not accounts_managed_by(by).filter(pk=user.pk).exists():
        raise Forbidden(_("This account is kept by another township."), code="not_your_account")


ACTIONS = ("reset-password", "deactivate", "reactivate")


def check_action(by, user, action: str) -> None:
    """Whether `by` may take `action` on the account (which they keep) as it is now: Forbidden on
    their own account (their password changes on the password page), Conflict in the wrong state."""
    if action in ("reset-password", "deactivate") and by.pk == user.pk:
        message = (
            _("Change your own password on the password page, not here.")
            if action == "reset-password"
            else _("You cannot deactivate your own account.")
        )
        raise Forbidden(message, code="own_account")
    if action in ("reset-password", "deactivate") and not user.is_active:
        message = (
            _("This account is deactivated: reactivate it first, then reset its password.")
            if action == "reset-password"
            else _("This account is deactivated already.")
        )
        raise Conflict(message, code="account_deactivated")
    if action == "reactivate" and user.is_active:
        raise Conflict(_("This account is active already."), code="account_active")


# ---------------------------------------------------------------- writes


def _open(*, by, township, account: NewAccount, now) -> tuple:
    password = account.password or generate_password()
    try:
        with transaction.atomic():
            user = get_user_model().objects.create_user(
                username=account.username, password=password, email=account.email, first_name=account.name
            )
    except IntegrityError:  # opened at the same moment by someone else
        raise ValidationError(
            {"username": _("The username “%(username)s” is taken.") % {"username": account.username}}
        ) from None
    StaffAccount.objects.create(
        user=user,
        township=township,
        phone=account.phone,
        created_by=by,
        created_at=now,
        must_change_password=True,
        password_issued_at=now,
    )
    return user, password


@transaction.atomic
def staff_account_create(*, by, township: Township | None, account: NewAccount) -> tuple:
    """Open one account for `township`: (the user, the password issued, to show once)."""
    check_manager(by)
    _check_township(by, township)
    errors = account_errors(account)
    if errors:
        raise ValidationError(errors)
    return _open(by=by, township=township, account=account, now=timezone.now())


def _staff_row(user, by) -> StaffAccount:
    """The account's StaffAccount, locked; opened now for an account that predates them (kept by
    the township of its first assignment there, or of any)."""
    row = StaffAccount.objects.select_for_update().filter(user=user).first()
    if row is not None:
        return row
    assignments = Assignment.objects.filter(user=user).order_by("valid_from", "pk")
    first = assignments.filter(township__in=admin_townships(by)).first() or assignments.first()
    return StaffAccount.objects.create(user=user, township_id=first.township_id if first else None)


def _locked_user(user):
    return get_user_model().objects.select_for_update().get(pk=user.pk)


@transaction.atomic
def staff_password_reset(*, by, user, password: str = "") -> str:
    """Issue a new password (typed, or generated): it must be changed at the next login; the
    account's sessions end and its API tokens are deleted. Returns the password, to show once."""
    _check_managed(by, user)
    user = _locked_user(user)
    check_action(by, user, "reset-password")
    if password:
        problems = password_problems(password, user)
        if problems:
            raise ValidationError({"password": problems})
    password = password or generate_password()
    user.set_password(password)
    user.save(update_fields=["password"])
    row = _staff_row(user, by)
    row.must_change_password = True
    row.password_issued_at = timezone.now()
    row.save(update_fields=["must_change_password", "password_issued_at"])
    Token.objects.filter(user=user).delete()
    return password


@transaction.atomic
def staff_account_deactivate(*, by, user, reason: str):
    """Refuse the account's logins from now on (the account and its history stay): its sessions
    end, its API tokens are deleted and its current and coming assignments end (today, or the
    day a coming one starts)."""
    _check_managed(by, user)
    user = _locked_user(user)
    check_action(by, user, "deactivate")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the account is deactivated (e.g. left the post).")})
    user.is_active = False
    user.save(update_fields=["is_active"])
    row = _staff_row(user, by)
    row.deactivated_at, row.deactivated_by, row.deactivation_reason = timezone.now(), by, reason[:200]
    row.save(update_fields=["deactivated_at", "deactivated_by", "deactivation_reason"])
    Token.objects.filter(user=user).delete()
    today = timezone.localdate()
    for assignment in Assignment.objects.filter(user=user).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today)):
        assignment_end(assignment=assignment, on=max(today, assignment.valid_from))
    return user


@transaction.atomic
def staff_account_reactivate(*, by, user):
    """Let the account log in again with its password; its assignments stay ended (assign anew)."""
    _check_managed(by, user)
    user = _locked_user(user)
    check_action(by, user, "reactivate")
    user.is_active = True
    user.save(update_fields=["is_active"])
    row = _staff_row(user, by)
    row.deactivated_at, row.deactivated_by, row.deactivation_reason = None, None, ""
    row.save(update_fields=["deactivated_at", "deactivated_by", "deactivation_reason"])
    return user


def staff_password_changed(*, user) -> None:
    """`user` has chosen a password of their own: no longer one an administrator issued."""
    with transaction.atomic():
        for row in StaffAccount.objects.select_for_update().filter(user=user, must_change_password=True):
            row.must_change_password = False
            row.save(update_fields=["must_change_password"])


# ---------------------------------------------------------------- the list in Excel


SHEET_NAME = "工作人员账号"
COLUMNS = [
    Column("username", "用户名", 16, True, ("账号", "登录名", "用户账号", "username")),
    Column("name", "姓名", 12, True, ("名字", "name")),
    Column("phone", "手机号码", 16, False, ("手机", "手机号", "联系电话", "电话", "phone")),
    Column("email", "电子邮箱", 24, False, ("邮箱", "email")),
    Column("password", "初始密码", 16, False, ("密码", "password")),
]
HEADERS = {"".join(alias.lower().split()): c for c in COLUMNS for alias in (c.header, *c.aliases)}
HEADERS_BY_KEY = {c.key: c.header for c in COLUMNS}
IGNORED_HEADERS = {"序号", "编号", "no", "no."}
HEADER_SCAN_ROWS = 5
MAX_IMPORT_ROWS = 500
MAX_IMPORT_COLUMNS = 12


def staff_template() -> bytes:
    """The blank list (.xlsx): the header, required columns marked, and a sheet of instructions."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_NAME
    required = {index for index, column in enumerate(COLUMNS, start=1) if column.required}
    write_header(sheet, [c.header for c in COLUMNS], widths=[c.width for c in COLUMNS], required=required)
    for row in range(2, MAX_IMPORT_ROWS + 2):
        for column in (3, 5):  # phone and password stay text (a leading digit, no formula)
            sheet.cell(row=row, column=column).number_format = "@"
    notes = workbook.create_sheet("填写说明")
    for line in [
        ("列", "说明"),
        (
            "用户名",
            "必填。登录用的账号：字母、数字和 @ . + - _，不能有空格，"
            "不能与已有账号重复（不区分大小写），如 qixing_wang。",
        ),
        ("姓名", "必填。工作人员的姓名。"),
        ("手机号码", "可填。11 位手机号。"),
        ("电子邮箱", "可填。用于接收通知邮件。"),
        ("初始密码", "可不填：不填时系统生成一个，导入后只显示一次。首次登录必须修改密码。"),
        ("", f"一次最多 {MAX_IMPORT_ROWS} 行。文件有任何错误时一个账号都不会开通，系统会按行列列出全部错误。"),
        ("", "开通账号后，请在“任职”中为其安排网格、村或镇街的职务。"),
    ]:
        notes.append(line)
    notes.column_dimensions["A"].width = 12
    notes.column_dimensions["B"].width = 90
    return save(workbook)


class StaffImportError(RowsRefused):
    """The list was refused, nothing was written; `errors` holds every problem by row and column."""

    def __init__(self, errors: list[RowError], *, code: str = "invalid_staff_list"):
        super().__init__(errors, code=code)

    def summary(self) -> str:
        return _("The list was not imported: %(count)d errors. No account was opened.") % {"count": len(self.errors)}


@dataclass
class _Row:
    number: int
    values: dict = field(default_factory=dict)


def _read_rows(file, seconds: float | None) -> list[_Row]:
    """The rows below the header, by column key (raises StaffImportError)."""
    try:
        with xlsx_opened(file) as workbook:
            sheet = workbook[SHEET_NAME] if SHEET_NAME in workbook.sheetnames else workbook.worksheets[0]
            source = xlsx_rows(
                sheet, max_rows=MAX_IMPORT_ROWS + HEADER_SCAN_ROWS, max_columns=MAX_IMPORT_COLUMNS, seconds=seconds
            )
            return _rows_of(enumerate(source, start=1))
    except UploadRefused as refused:
        raise StaffImportError([RowError(0, "", refused.message, refused.code)], code=refused.code) from None


def _header_key(value) -> str:
    """A header as compared: lower case, without spaces or "*" marks."""
    return "".join(cell_text(value).lower().replace("*", "").replace("＊", "").split())


def _rows_of(numbered) -> list[_Row]:
    positions, ignored, header_row, rows = None, set(), 0, []
    for number, values in numbered:
        if positions is None:
            if sum(1 for v in values if _header_key(v) in HEADERS) >= 2:
                header_row = number
                positions, ignored = _read_header(values, number)
            elif number >= HEADER_SCAN_ROWS:
                break
            continue
        if not any(cell_text(v) for v in values):
            continue
        known = set(positions.values()) | ignored
        stray = next((i for i, v in enumerate(values) if cell_text(v) and i not in known), None)
        if stray is not None:
            raise StaffImportError([unheaded_column(number, stray)], code="unknown_column")
        if len(rows) >= MAX_IMPORT_ROWS:
            raise too_many_rows(MAX_IMPORT_ROWS)
        rows.append(_Row(number, {key: values[i] if i < len(values) else None for key, i in positions.items()}))
    if positions is None:
        raise StaffImportError([missing_columns(COLUMNS, {}, 1)], code="missing_columns")
    if not rows:
        message = _("The file has no rows below the header.")
        raise StaffImportError([RowError(header_row + 1, "", message, "empty_list")], code="empty_list")
    return rows


def _read_header(titles, number: int) -> tuple[dict, set]:
    """(column key -> index, indexes of the row-number columns); raises StaffImportError."""
    positions, ignored, errors = {}, set(), []
    for index, title in enumerate(titles):
        key = _header_key(title)
        if not key:
            continue
        if key in IGNORED_HEADERS:
            ignored.add(index)
        elif key not in HEADERS:
            message = _(
                "Unknown column “%(title)s” (column %(letter)s): so that nothing in it is lost, the list was "
                "not imported. Rename it to a column of the template, or delete it."
            ) % {"title": cell_text(title), "letter": get_column_letter(index + 1)}
            errors.append(RowError(number, cell_text(title), message, "unknown_column"))
        elif HEADERS[key].key in positions:
            message = _("Two columns are both “%(header)s”; keep one.") % {"header": HEADERS[key].header}
            errors.append(RowError(number, cell_text(title), message, "duplicate_column"))
        else:
            positions[HEADERS[key].key] = index
    if missing := missing_columns(COLUMNS, positions, number):
        errors.append(missing)
    if errors:
        codes = {e.code for e in errors}
        raise StaffImportError(errors, code=codes.pop() if len(codes) == 1 else "invalid_staff_list")
    return positions, ignored


def staff_accounts_import(*, by, township: Township | None, file, read_seconds: float | None = None) -> list:
    """Open every account of the list for `township`, or none: a StaffImportError lists every
    problem by row and column. Returns [(user, the password issued)], in the file's order."""
    check_manager(by)
    _check_township(by, township)
    rows = _read_rows(file, read_seconds)
    accounts, errors, seen = [], [], {}
    for row in rows:
        account = NewAccount(**{key: cell_text(row.values.get(key)) for key in HEADERS_BY_KEY})
        for name, messages in account_errors(account).items():
            errors += [RowError(row.number, HEADERS_BY_KEY[name], message) for message in messages]
        first = seen.setdefault(account.username.lower(), row.number) if account.username else row.number
        if first != row.number:
            message = _("The username “%(username)s” is also on row %(row)d.") % {
                "username": account.username,
                "row": first,
            }
            errors.append(RowError(row.number, HEADERS_BY_KEY["username"], message, "duplicate_username"))
        accounts.append(account)
    if errors:
        order = {c.header: i for i, c in enumerate(COLUMNS)}
        raise StaffImportError(sorted(errors, key=lambda e: (e.row, order.get(e.column, -1))))
    now, opened = timezone.now(), []
    with transaction.atomic():
        for row, account in zip(rows, accounts, strict=True):
            try:
                opened.append(_open(by=by, township=township, account=account, now=now))
            except ValidationError as taken:  # opened at the same moment by someone else
                column = HEADERS_BY_KEY["username"]
                raise StaffImportError([RowError(row.number, column, m) for m in taken.messages]) from None
    return opened
