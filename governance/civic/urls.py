"""三治's pages, in the `civic:` namespace (URL names `civic:<entity>-<action>`)."""

from django.urls import path

from governance.civic import views

app_name = "civic"

urlpatterns = [
    path("civic/", views.home, name="home"),
    # ------------------------------------------------------------ teams (治委会, 协商议事团, 调解队)
    # ------------------------------------------------------------ mediations (人民调解)
    # ------------------------------------------------------------ the four councils (四会)
    # ------------------------------------------------------------ 最美 selections
    # ------------------------------------------------------------ activities
]
