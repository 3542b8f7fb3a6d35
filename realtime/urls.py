from django.urls import path

from . import views

app_name = "realtime"

urlpatterns = [
    path("presence/away/", views.set_away, name="set_away"),
]
