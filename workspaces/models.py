"""Users, workspaces (the tenant) and memberships, plus the one scoping mechanism for tenant rows."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

if TYPE_CHECKING:
    from collections.abc import Iterable


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractUser):
    """A person who signs in with email + password. Belongs to workspaces through Membership."""

    username = None
    email = models.EmailField(_("email"), unique=True)
    display_name = models.CharField(_("display name"), max_length=120, blank=True)
    # Blank: never chosen, so every page follows the browser's Accept-Language (LocaleMiddleware);
    # a language chosen in the sidebar overrides it (workspaces.middleware.UserLanguageMiddleware).
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="", blank=True,
        help_text=_("Empty: the pages follow the language of the person's browser."),
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []
    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.display_name or self.get_full_name() or self.email

    @property
    def first_name_or_name(self) -> str:
        return self.first_name or self.name.split(" ")[0]


class Workspace(models.Model):
    """The tenant: one business with its channels, contacts, conversations and members."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    settings = models.JSONField(_("settings"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("workspace")
        verbose_name_plural = _("workspaces")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TenantQuerySet(models.QuerySet):
    """The one way to read tenant rows: always through for_workspace()."""

    def for_workspace(self, workspace: Workspace | int) -> TenantQuerySet:
        workspace_id = workspace if isinstance(workspace, int) else workspace.pk
        return self.filter(workspace_id=workspace_id)

    def for_workspaces(self, workspaces: Iterable[Workspace | int]) -> TenantQuerySet:
        ids = [w if isinstance(w, int) else w.pk for w in workspaces]
        return self.filter(workspace_id__in=ids)


class TenantModel(models.Model):
    """Base for every tenant-owned row: a workspace foreign key and the scoped manager."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, verbose_name=_("workspace"))

    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True


class Membership(TenantModel):
    """A user's role in one workspace."""

    class Role(models.TextChoices):
        ADMIN = "admin", pgettext_lazy("role", "Admin")
        SUPERVISOR = "supervisor", pgettext_lazy("role", "Supervisor")
        AGENT = "agent", pgettext_lazy("role", "Agent")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.AGENT)
    # Set by the member ("Set yourself away"): an away member is never picked by automatic assignment,
    # even while an inbox page is open. Being online is not stored here (realtime.presence, in the cache).
    away = models.BooleanField(_("away"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [models.UniqueConstraint(fields=["workspace", "user"], name="membership_unique_user")]

    def __str__(self) -> str:
        return f"{self.user.name} ({self.get_role_display()})"

    @property
    def display_name(self) -> str:
        return self.user.name

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN

    @property
    def can_review(self) -> bool:
        return self.role in {self.Role.ADMIN, self.Role.SUPERVISOR}


class Team(TenantModel):
    """A group of members for routing (workflows assign "among Support"); team inboxes come later."""

    name = models.CharField(_("name"), max_length=80)
    members = models.ManyToManyField(Membership, blank=True, related_name="teams", verbose_name=_("members"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="team_unique_name",
                                               violation_error_message=_("This workspace already has a team "
                                                                         "with this name."))]

    def __str__(self) -> str:
        return self.name


class Invitation(TenantModel):
    """An offer to join a workspace, sent by email. Nobody becomes a member until they accept it.

    Only the SHA-256 of the token is stored: the link in the email is the one place the token lives.
    An invitation is single use (accepted_at), can be revoked, and expires.
    """

    email = models.EmailField(_("email"))
    role = models.CharField(_("role"), max_length=16, choices=Membership.Role.choices, default=Membership.Role.AGENT)
    display_name = models.CharField(_("display name"), max_length=120, blank=True,
                                    help_text=_("Suggested for a person who has no login yet."))
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("invited by"))
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("last sent"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("accepted by"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        REVOKED = "revoked", _("Revoked")
        EXPIRED = "expired", _("Expired")

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["workspace", "email"], name="invitation_ws_email")]

    def __str__(self) -> str:
        return self.email

    def status_at(self, now) -> str:
        if self.accepted_at is not None:
            return self.Status.ACCEPTED
        if self.revoked_at is not None:
            return self.Status.REVOKED
        if self.expires_at <= now:
            return self.Status.EXPIRED
        return self.Status.PENDING
