import logging
import smtplib

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import BaseUserCreationForm, UserChangeForm
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .admin_hours import HOURS_FIELDS, WorkspaceForm
from .admin_scoping import WorkspaceConsistentForm, WorkspaceScopedAdmin
from .emails import send_invitation
from .models import Invitation, Membership, Team, User, Workspace
from .services import (
    InvitationError,
    MembershipError,
    invitation_create,
    invitation_resend,
    invitation_revoke,
    membership_change_role,
    membership_remove,
    signup_link_allowed,
    user_deactivated,
)
from .services.invitations import INVITATION_DAYS, normalize_email, set_password_link

log = logging.getLogger(__name__)


@admin.register(Workspace)
class WorkspaceAdmin(WorkspaceScopedAdmin):
    form = WorkspaceForm
    list_display = ["name", "slug", "created_at"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "slug"]
    fieldsets = [
        (None, {"fields": ["name", "slug"]}),
        (_("Business hours"), {"fields": HOURS_FIELDS, "description": _(
            "When the team works: each day's opening hours like 09:00-14:00, 16:00-19:00 (an empty day is "
            "closed). Workflows can act differently within and outside these hours.")}),
        (_("Review"), {"fields": ["agents_can_review"]}),
    ]

    def has_add_permission(self, request, *args):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class InvitationForm(WorkspaceConsistentForm):
    """Inviting is by email: nobody joins until they accept from that email's own account."""

    class Meta:
        model = Invitation
        fields = ["workspace", "email", "display_name", "role"]

    def clean(self):
        cleaned = super().clean()
        workspace, email = cleaned.get("workspace"), normalize_email(cleaned.get("email") or "")
        if workspace and email:
            if Membership.objects.for_workspace(workspace).filter(user__email=email).exists():
                self.add_error("email", _("This person is already a member of the workspace."))
            elif (Invitation.objects.for_workspace(workspace)
                  .filter(email=email, accepted_at=None, revoked_at=None, expires_at__gt=timezone.now()).exists()):
                self.add_error("email", _("This person already has a pending invitation: resend it from the list."))
        return cleaned


@admin.register(Invitation)
class InvitationAdmin(WorkspaceScopedAdmin):
    """Invite people by email; resend or revoke. The list shows where each invitation stands."""

    form = InvitationForm
    list_display = ["email", "role", "status", "invited_by", "sent_at", "expires_at"]
    list_filter = ["role"]
    search_fields = ["email", "display_name"]
    list_select_related = ["invited_by"]
    actions = ["resend", "revoke"]
    readonly_fields = ["status", "invited_by", "created_at", "sent_at", "expires_at", "accepted_at", "accepted_by",
                       "revoked_at"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["workspace", "email", "display_name", "role"]
        return ["workspace", "email", "display_name", "role", *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["workspace", "email", "display_name", "role", *self.readonly_fields]

    def has_change_permission(self, request, obj=None):
        # Nothing of a sent invitation is edited: revoke it and invite again. (The page stays viewable.)
        return False

    @admin.display(description=_("status"))
    def status(self, obj: Invitation) -> str:
        return Invitation.Status(obj.status_at(timezone.now())).label

    def save_model(self, request, obj, form, change):
        workspace = form.cleaned_data["workspace"]
        if not request.user.is_superuser and workspace.pk not in self._workspace_ids(request):
            raise PermissionDenied
        try:
            issued = invitation_create(workspace=workspace, email=form.cleaned_data["email"],
                                       role=form.cleaned_data["role"],
                                       display_name=form.cleaned_data.get("display_name") or "",
                                       invited_by=request.user)
        except InvitationError as exc:  # a race with another admin: the form checked it a moment ago
            raise PermissionDenied(str(exc)) from exc
        obj.pk, obj._state.adding = issued.invitation.pk, False
        self._send(request, issued)

    def _send(self, request, issued) -> None:
        invitation = issued.invitation
        try:
            send_invitation(invitation=invitation, link=issued.link)
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("Invitation email to %s failed: %s", invitation.email, exc)
            self.message_user(request, _("The email to %(email)s could not be sent (%(error)s): use Resend later.")
                              % {"email": invitation.email, "error": type(exc).__name__}, level=messages.ERROR)
        else:
            self.message_user(request, _("Invitation emailed to %(email)s.") % {"email": invitation.email},
                              level=messages.SUCCESS)
        if not User.objects.filter(email=invitation.email).exists():
            # A brand-new person has no account anyone could take over: the admin may pass the link on.
            self.message_user(request, _("You can also send %(email)s this link yourself (it works once, for "
                                         "%(days)d days): %(link)s")
                              % {"email": invitation.email, "days": INVITATION_DAYS, "link": issued.link},
                              level=messages.WARNING)

    @admin.action(description=_("Resend the selected invitations (new link; the old one stops working)"))
    def resend(self, request, queryset):
        for invitation in queryset.select_related("workspace", "invited_by"):
            try:
                issued = invitation_resend(workspace=invitation.workspace, invitation=invitation)
            except InvitationError as exc:
                self.message_user(request, f"{invitation.email}: {exc}", level=messages.ERROR)
                continue
            self._send(request, issued)

    @admin.action(description=_("Revoke the selected invitations"))
    def revoke(self, request, queryset):
        count = 0
        for invitation in queryset.select_related("workspace"):
            invitation_revoke(workspace=invitation.workspace, invitation=invitation)
            count += 1
        self.message_user(request, _("%(count)d invitations revoked.") % {"count": count}, level=messages.SUCCESS)


class MembershipForm(WorkspaceConsistentForm):
    class Meta:
        model = Membership
        fields = ["role"]

    def clean_role(self):
        role = self.cleaned_data["role"]
        member = self.instance
        if (member.pk and member.role == Membership.Role.ADMIN and role != Membership.Role.ADMIN
                and not Membership.objects.for_workspace(member.workspace_id)
                .filter(role=Membership.Role.ADMIN).exclude(pk=member.pk).exists()):
            raise forms.ValidationError(_("This is the last admin of the workspace: make someone else an admin first."))
        return role


@admin.register(Membership)
class MembershipAdmin(WorkspaceScopedAdmin):
    """Members: change a role or remove someone. People are added through Invitations."""

    form = MembershipForm
    list_display = ["user", "workspace", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "user__display_name"]
    list_select_related = ["user", "workspace"]
    actions = ["make_sign_in_link"]
    fields = ["workspace", "user", "role"]
    readonly_fields = ["workspace", "user"]

    def has_add_permission(self, request, *args):
        return False  # by invitation only (Invitations → Add)

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser and obj.workspace_id not in self._workspace_ids(request):
            raise PermissionDenied
        membership_change_role(workspace=obj.workspace, membership=obj, role=form.cleaned_data["role"])

    def delete_model(self, request, obj):
        try:
            membership_remove(workspace=obj.workspace, membership=obj)
        except MembershipError as exc:
            raise PermissionDenied(str(exc)) from exc

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.role == Membership.Role.ADMIN and not (
                Membership.objects.for_workspace(obj.workspace_id).filter(role=Membership.Role.ADMIN)
                .exclude(pk=obj.pk).exists()):
            return False  # the last admin stays
        return super().has_delete_permission(request, obj)

    def delete_queryset(self, request, queryset):
        for membership in queryset.select_related("workspace", "user"):
            try:
                membership_remove(workspace=membership.workspace, membership=membership)
            except MembershipError as exc:
                self.message_user(request, str(exc), level=messages.ERROR)

    @admin.action(description=_("Create a set-password link (only for someone who never set a password)"))
    def make_sign_in_link(self, request, queryset):
        for membership in queryset.select_related("user", "workspace"):
            user = membership.user
            if not signup_link_allowed(user=user, workspace=membership.workspace):
                self.message_user(request, _("%(email)s: refused. A link to choose a password is only made for an "
                                             "account that never had one and belongs to no other workspace; others "
                                             "use “Forgot password?” on the sign-in page.") % {"email": user.email},
                                  level=messages.ERROR)
                continue
            self.message_user(request, f"{user.email}: {set_password_link(user=user)}", level=messages.WARNING)


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

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            user_deactivated(user=obj)

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(Team)
class TeamAdmin(WorkspaceScopedAdmin):
    """Groups of members that workflows assign among ("among Support"). Members of this workspace only."""

    list_display = ["name", "member_names"]
    search_fields = ["name"]
    fields = ["workspace", "name", "members"]
    filter_horizontal = ["members"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("members__user")

    @admin.display(description=_("members"))
    def member_names(self, obj: Team) -> str:
        return ", ".join(sorted(m.display_name for m in obj.members.all()))

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "members":
            field.queryset = field.queryset.select_related("user")
        return field
