"""The SMS providers' callback for replies (/public/sms/inbound/...): no login, a token."""

from django.urls import path

from governance.messaging import views

app_name = "messaging"

urlpatterns = [
    path("inbound/<str:provider>/<str:token>/", views.sms_inbound, name="sms-inbound"),
]
