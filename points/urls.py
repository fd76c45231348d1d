"""Staff pages of the points bank, under /points/."""

from django.urls import path

from points import views

app_name = "points"

urlpatterns = [
    path("", views.home, name="home"),
    path("queue/", views.queue, name="queue"),
    path("queue/approve/", views.queue_approve, name="queue-approve"),
    path("entries/", views.entry_list, name="entry-list"),
    path("entries/new/", views.entry_create, name="entry-create"),
    path("entries/batch/", views.entry_batch, name="entry-batch"),
    path("meetings/<int:pk>/award/", views.meeting_award, name="meeting-award"),
    path("entries/<int:pk>/", views.entry_detail, name="entry-detail"),
    path("entries/<int:pk>/evidence/", views.entry_evidence, name="entry-evidence"),
    path("entries/<int:pk>/object/", views.entry_object, name="entry-object"),
    path("entries/<int:pk>/<str:action>/", views.entry_action, name="entry-action"),
    path("objections/<int:pk>/rule/", views.objection_rule, name="objection-rule"),
    path("accounts/", views.account_list, name="account-list"),
    path("accounts/<int:pk>/", views.account_detail, name="account-detail"),
    path("accounts/<int:pk>/consent/", views.account_consent, name="account-consent"),
    path("accounts/<int:pk>/statement/", views.account_statement, name="account-statement"),
    path("lines/<int:pk>/reverse/", views.line_reverse, name="line-reverse"),
    path("shop/", views.counter, name="counter"),
    path("shop/<int:pk>/", views.counter_account, name="counter-account"),
    path("items/", views.item_list, name="item-list"),
    path("items/new/", views.item_create, name="item-create"),
    path("items/<int:pk>/restock/", views.item_restock, name="item-restock"),
    path("items/<int:pk>/photo/", views.item_photo, name="item-photo"),
    path("rules/", views.rule_list, name="rule-list"),
    path("rules/new/", views.rule_create, name="rule-create"),
    path("rules/<int:pk>/edit/", views.rule_update, name="rule-update"),
    path("settings/", views.settings_page, name="settings"),
    path("boards/", views.board_list, name="board-list"),
    path("boards/compile/", views.board_compile, name="board-compile"),
    path("boards/<int:pk>/", views.board_detail, name="board-detail"),
    path("boards/<int:pk>/export.xlsx", views.board_export, name="board-export"),
    path("ledger.xlsx", views.ledger_export, name="ledger-export"),
    path("boards/<int:pk>/<str:action>/", views.board_action, name="board-action"),
]
