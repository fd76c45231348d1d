"""Staff pages of matters, under /matters/ (the public board is petitions.public_urls)."""

from django.urls import path, re_path

from petitions import views, workflow

app_name = "petitions"

# The matter page's actions, from the transition table.
ACTIONS = "|".join(workflow.PAGE_ACTIONS)
EXTRA = "|".join([*workflow.CLOCK_ACTIONS, "photo"])

urlpatterns = [
    path("", views.matter_list, name="matter-list"),
    path("export.xlsx", views.matter_export, name="matter-export"),
    path("waiting/", views.matter_waiting, name="matter-waiting"),
    path("new/", views.matter_create, name="matter-create"),
    path("new/duplicates/", views.matter_duplicates, name="matter-duplicates"),
    path("<int:pk>/", views.matter_detail, name="matter-detail"),
    re_path(rf"^(?P<pk>[0-9]+)/(?P<action>{ACTIONS})/$", views.matter_action, name="matter-action"),
    re_path(rf"^(?P<pk>[0-9]+)/(?P<action>{EXTRA})/$", views.matter_extra, name="matter-extra"),
]
