"""The contacts' public survey page, outside /w/<slug>/ (no login)."""

from django.urls import path

from . import views

app_name = "survey_public"

urlpatterns = [path("<str:token>/", views.public_survey, name="page")]
