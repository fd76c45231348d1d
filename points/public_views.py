"""The points bank's public page, /public/points/<village code>/: no login.

What a resident may see of the points bank, and nothing more: the entries proposed for
households during their objection window (公示), the published 道德红黑榜 (the black list
only where the village has turned its publication on), the rules catalogue and the
shop's goods. Households are named by their head's initials only, never by name, ID
number or phone number (points.selectors.public_notice and board_public build the rows).

Item photos are public here, served through `item_photo` (active goods of this village
only), never as files under MEDIA: they show goods, are re-encoded without EXIF or
location by points.services, and the shop's form tells the clerk never to photograph
people. Evidence photos of proposals are personal data and never public.
"""

from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from governance.files import jpeg_response
from grids.models import Village
from points.models import Board, BoardStatus, Category, Item, Rule
from points.selectors import board_public, points_settings, public_notice


def _village(code: str) -> Village:
    return get_object_or_404(Village.objects.select_related("township"), code=code)


def _page(request, village, board: Board | None):
    now = timezone.now()
    boards = list(
        Board.objects.filter(village=village, status=BoardStatus.PUBLISHED)
        .order_by("-year", "-quarter")
        .only("pk", "year", "quarter")[:12]
    )
    if board is None and boards:
        board = Board.objects.select_related("village").get(pk=boards[0].pk)
    settings = points_settings(village.pk)
    rules = list(Rule.objects.filter(village=village, is_active=True).order_by("order", "id"))
    categories = list(Category.values)
    rules.sort(key=lambda rule: categories.index(rule.category) if rule.category in categories else 99)
    context = {
        "village": village,
        "notice": public_notice(village, now=now),
        "board": board_public(board, settings) if board is not None else None,
        "board_id": board.pk if board is not None else None,
        "boards": boards,
        "earn": [rule for rule in rules if rule.points > 0],
        "deduct": [rule for rule in rules if rule.points < 0],
        "items": list(Item.objects.filter(village=village, is_active=True).order_by("order", "id")),
        "settings": settings,
        "now": now,
    }
    response = render(request, "points/public/village.html", context)
    # The 公示 changes as windows close: shared caches keep it briefly at most.
    response["Cache-Control"] = "public, max-age=60"
    return response


@require_GET
def village_points(request, village_code):
    """The village's 公示, its latest published 红黑榜, its rules and its shop."""
    return _page(request, _village(village_code), None)


@require_GET
def village_board(request, village_code, year, quarter):
    """An earlier published 红黑榜 of the village (404 until published)."""
    village = _village(village_code)
    board = get_object_or_404(
        Board.objects.select_related("village"),
        village=village,
        year=year,
        quarter=quarter,
        status=BoardStatus.PUBLISHED,
    )
    return _page(request, village, board)


@require_GET
def item_photo(request, village_code, pk):
    item = get_object_or_404(Item, pk=pk, village__code=village_code, is_active=True)
    return jpeg_response(item.photo, public=True)
