from django.urls import path

from . import views

app_name = "snippets"

urlpatterns = [
    path("", views.snippet_list, name="list"),
    path("new/", views.snippet_create, name="create"),
    path("search/", views.search, name="search"),
    path("<int:snippet_id>/render/", views.render_snippet, name="render"),
    path("<int:snippet_id>/edit/", views.snippet_edit, name="edit"),
    path("<int:snippet_id>/delete/", views.snippet_delete, name="delete"),
    path("files/<int:snippetattachment_id>/", views.attachment, name="attachment"),
]
