from django.urls import path

from . import file_views, hooks

urlpatterns = [
    path("<slug:kind>/<uuid:channel_uuid>/", hooks.inbound, name="hook_inbound"),
]

file_urlpatterns = [
    path("files/<str:token>/", file_views.signed_file, name="signed_file"),
]
