"""The village compact's staff pages, under /compact/ (the public ones are petitions.public_urls)."""

from django.urls import path, re_path

from petitions import compact_views as views

app_name = "compact"

urlpatterns = [
    path("", views.compact_home, name="compact-home"),
    path("new/", views.compact_draft, name="compact-draft"),
    path("<int:pk>/", views.compact_version, name="compact-version"),
    re_path(
        rf"^(?P<pk>[0-9]+)/(?P<action>{'|'.join(views.VERSION_ACTIONS)})/$",
        views.compact_version_action,
        name="compact-version-action",
    ),
    re_path(
        rf"^articles/(?P<pk>[0-9]+)/(?P<action>{'|'.join(views.ARTICLE_ACTIONS)})/$",
        views.compact_article_action,
        name="compact-article-action",
    ),
]
