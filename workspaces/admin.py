from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import BaseUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from .admin_scoping import WorkspaceScopedAdmin
from .models import Membership, User, Workspace
from .services import invite_link, workspace_invite


@admin.register(Workspace)
class WorkspaceAdmin(WorkspaceScopedAdmin):
    list_display = ["name", "slug", "created_at"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "slug"]

    def has_add_permission(self, request, *args):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class InviteForm(forms.ModelForm):
    """Adding a member is by email: the person may not have a Parley login yet."""

    email = forms.EmailField(label=_("Email"))
    display_name = forms.CharField(label=_("Display name"), max_length=120, required=False,
                                   help_text=_("Used when the person has no login yet."))

    class Meta:
        model = Membership
        fields = ["workspace", "role"]

    def clean(self):
        cleaned = super().clean()
        workspace, email = cleaned.get("workspace"), (cleaned.get("email") or "").strip().lower()
        if workspace and email and Membership.objects.for_workspace(workspace).filter(user__email=email).exists():
            self.add_error("email", _("This person is already a member of the workspace."))
        return cleaned


@admin.register(Membership)
class MembershipAdmin(WorkspaceScopedAdmin):
    list_display = ["user", "workspace", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "user__display_name"]
    list_select_related = ["user", "workspace"]
    actions = ["make_sign_in_link"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = InviteForm
            kwargs["fields"] = ["workspace", "email", "display_name", "role"]
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        return ["workspace", "email", "display_name", "role"] if obj is None else ["workspace", "user", "role"]

    def get_readonly_fields(self, request, obj=None):
        return ["workspace", "user"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        membership, created = workspace_invite(
            workspace=form.cleaned_data["workspace"], email=form.cleaned_data["email"],
            display_name=form.cleaned_data.get("display_name") or "", role=form.cleaned_data["role"],
        )
        obj.pk, obj.user, obj.workspace = membership.pk, membership.user, membership.workspace
        obj._state.adding = False
        if created:
            self.message_user(request, _("Send this link to %(email)s to choose a password (valid for a few days): "
                                         "%(link)s") % {"email": membership.user.email,
                                                        "link": invite_link(user=membership.user)},
                              level=messages.WARNING)

    @admin.action(description=_("Create a sign-in link (to choose a new password)"))
    def make_sign_in_link(self, request, queryset):
        for membership in queryset.select_related("user"):
            self.message_user(request, f"{membership.user.email}: {invite_link(user=membership.user)}",
                              level=messages.WARNING)


class ParleyUserCreationForm(BaseUserCreationForm):
    class Meta:
        model = User
        fields = ["email", "display_name"]


class ParleyUserChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """Users are global (one person may belong to several workspaces): superusers manage them."""

    add_form = ParleyUserCreationForm
    form = ParleyUserChangeForm

    ordering = ["email"]
    list_display = ["email", "display_name", "language", "is_active", "is_superuser"]
    search_fields = ["email", "display_name", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Profile"), {"fields": ["display_name", "first_name", "last_name", "language"]}),
        (_("Permissions"), {"fields": ["is_active", "is_staff", "is_superuser"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "display_name", "password1", "password2"]})]

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser
