from django.contrib import admin
from django.urls import include, path

from inbox.hook_urls import file_urlpatterns
from workspaces import account_views
from workspaces import views as workspace_views

admin.site.site_header = "Parley admin"
admin.site.site_title = "Parley admin"

urlpatterns = [
    path("", workspace_views.home, name="home"),
    path("login/", workspace_views.ParleyLoginView.as_view(), name="login"),
    path("logout/", workspace_views.logout_view, name="logout"),
    path("account/language/", workspace_views.set_language, name="set_language"),
    path("login/forgot/", account_views.ForgotPasswordView.as_view(), name="password_reset"),
    path("login/forgot/sent/", account_views.ForgotPasswordSentView.as_view(), name="password_reset_done"),
    path("account/password/", account_views.PasswordChangeView.as_view(), name="password_change"),
    path("account/password/changed/", account_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("account/password/<uidb64>/<token>/", workspace_views.SetPasswordView.as_view(), name="set_password"),
    path("invite/<str:token>/", account_views.invitation, name="invitation"),
    path("admin/", admin.site.urls),
    path("hooks/", include("inbox.hook_urls")),
    path("widget/", include("webchat.urls")),
    *file_urlpatterns,
    path("w/<slug:slug>/", include("workspaces.urls")),
    path("w/<slug:slug>/", include("inbox.urls")),
    path("w/<slug:slug>/", include("emojis.urls")),
    path("w/<slug:slug>/", include("realtime.urls")),
    path("w/<slug:slug>/contacts/", include("contacts.urls")),
    path("w/<slug:slug>/snippets/", include("snippets.urls")),
    path("w/<slug:slug>/surveys/", include("surveys.urls")),
    path("w/<slug:slug>/", include("reports.urls")),  # review/ and reports/
    path("s/", include("surveys.public_urls")),  # the contacts' survey pages (no login)
]
