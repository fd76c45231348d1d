"""The points bank's public page under /public/points/ (mounted in governance/page_urls.py)."""

from django.urls import path

from points import public_views as views

app_name = "points_public"

urlpatterns = [
    path("<str:village_code>/", views.village_points, name="village"),
    path("<str:village_code>/<int:year>/q<int:quarter>/", views.village_board, name="board"),
    path("<str:village_code>/items/<int:pk>/photo/", views.item_photo, name="item-photo"),
    path("<str:village_code>/objections/new/", views.objection_create, name="objection-create"),
    path("<str:village_code>/objections/sent/", views.objection_sent, name="objection-sent"),
]
