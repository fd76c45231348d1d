"""The public board at /public/: no login (see petitions.public_views)."""

from django.urls import path

from petitions import public_views as views

app_name = "public"

urlpatterns = [
    path("", views.board, name="board"),
    path("matters/", views.matter_find, name="matter-find"),
    path("matters/<str:code>/", views.matter_status, name="matter-status"),
    path("matters/<str:code>/submitted/", views.matter_submitted, name="matter-submitted"),
    path("matters/<str:code>/evaluate/", views.matter_evaluate, name="matter-evaluate"),
    path("matters/<str:code>/withdraw/", views.matter_withdraw, name="matter-withdraw"),
    path("matters/<str:code>/review/", views.matter_request_review, name="matter-review"),
    path("sms/unsubscribe/<str:token>/", views.sms_unsubscribe, name="sms-unsubscribe"),
    path("<str:village_code>/new/", views.matter_create, name="matter-create"),
    path("<str:village_code>/poster/", views.poster, name="poster"),
    path("<str:village_code>/compact/", views.compact, name="compact"),
    path("<str:village_code>/compact/v<int:number>/", views.compact_version, name="compact-version"),
]
