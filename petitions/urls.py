"""Staff pages of matters, under /matters/ (the public board is petitions.public_urls)."""

from django.urls import path, re_path

from petitions import views

app_name = "petitions"

ACTIONS = "classify|reject|withdraw|reclassify|deliberate|handle|report|verify|evaluate|supervise"

urlpatterns = [
    path("", views.matter_list, name="matter-list"),
    path("waiting/", views.matter_waiting, name="matter-waiting"),
    path("new/", views.matter_create, name="matter-create"),
    path("new/duplicates/", views.matter_duplicates, name="matter-duplicates"),
    path("<int:pk>/", views.matter_detail, name="matter-detail"),
    re_path(rf"^(?P<pk>[0-9]+)/(?P<action>{ACTIONS})/$", views.matter_action, name="matter-action"),
    re_path(r"^(?P<pk>[0-9]+)/(?P<action>pause|resume|photo)/$", views.matter_extra, name="matter-extra"),
]
