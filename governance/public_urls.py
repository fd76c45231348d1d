"""The village's public board, /public/<village code>/ (mounted after the intake's own paths)."""

from django.urls import path

from governance import public_board as views

app_name = "board"

urlpatterns = [
    path("<str:village_code>/", views.village_board, name="village"),
    path("<str:village_code>/board-poster/", views.board_poster, name="poster"),
]
