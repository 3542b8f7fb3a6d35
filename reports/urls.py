from django.urls import path

from . import review_views, views

app_name = "reports"

urlpatterns = [
    path("review/", review_views.review, name="review"),
    path("review/export.csv", review_views.export, name="review_export"),
    path("review/<int:conversation_id>/", review_views.review_detail, name="review_detail"),
    path("review/<int:conversation_id>/reopen/", review_views.reopen, name="reopen"),
    path("reports/", views.reports, name="reports"),
]
