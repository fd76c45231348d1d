"""Staff pages of the points bank, under /points/."""

app_name = "points"

urlpatterns = []
