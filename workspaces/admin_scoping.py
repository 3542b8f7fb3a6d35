"""One base class makes every app's admin workspace-scoped.

Workspace admins (not superusers) see, add and edit only their workspaces' rows; every foreign-key
and many-to-many choice is limited to those workspaces; a row whose related objects belong to
another workspace than its own is rejected by the form, even when the admin belongs to both.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from .admin_site import workspace_ids_for_admin
from .models import Membership, TenantModel, User, Workspace


def _is_tenant(model) -> bool:
    return isinstance(model, type) and issubclass(model, TenantModel)


class WorkspaceConsistentForm(forms.ModelForm):
    """Rejects related tenant rows that belong to another workspace than the row itself."""

    def clean(self):
        cleaned = super().clean()
        workspace = cleaned.get("workspace") or getattr(self.instance, "workspace", None)
        if workspace is None and self.instance.workspace_id:
            workspace = self.instance.workspace
        if workspace is None:
            return cleaned
        for field in self._meta.model._meta.get_fields():
            if field.name not in cleaned or not getattr(field, "is_relation", False):
                continue
            if not _is_tenant(field.related_model) or field.name == "workspace":
                continue
            value = cleaned[field.name]
            values = list(value) if isinstance(value, (list, tuple, models.QuerySet)) else [value]
            for related in values:
                if related is not None and related.workspace_id != workspace.pk:
                    self.add_error(field.name, ValidationError(_("Choose an item of the same workspace.")))
                    break
        return cleaned


class _ScopingMixin:
    """Shared by model admins and inlines."""

    def _workspace_ids(self, request) -> list[int]:
        return workspace_ids_for_admin(request)

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        if self.model is Workspace:
            return qs.filter(pk__in=self._workspace_ids(request))
        return qs.filter(workspace_id__in=self._workspace_ids(request))

    def _allowed(self, request, obj=None) -> bool:
        if request.user.is_superuser:
            return True
        ids = self._workspace_ids(request)
        if not ids:
            return False
        if obj is None:
            return True
        owner = obj.pk if isinstance(obj, Workspace) else obj.workspace_id
        return owner in ids

    def has_module_permission(self, request):
        return self._allowed(request)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request, obj)

    def has_add_permission(self, request, *args):
        return self._allowed(request)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._allowed(request, obj)

    def _limit(self, request, related_model, queryset):
        if request.user.is_superuser:
            return queryset
        ids = self._workspace_ids(request)
        if related_model is Workspace:
            return queryset.filter(pk__in=ids)
        if _is_tenant(related_model):
            return queryset.filter(workspace_id__in=ids)
        if related_model is User:
            return queryset.filter(memberships__workspace_id__in=ids).distinct()
        return queryset

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset"):
            field.queryset = self._limit(request, db_field.related_model, field.queryset)
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset"):
            field.queryset = self._limit(request, db_field.related_model, field.queryset)
        return field


class WorkspaceScopedAdmin(_ScopingMixin, admin.ModelAdmin):
    """Base admin for every tenant model (rows with a `workspace` foreign key)."""

    form = WorkspaceConsistentForm

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        ids = self._workspace_ids(request)
        if len(ids) == 1 and "workspace" not in initial:
            initial["workspace"] = ids[0]
        return initial

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        if request.user.is_superuser and self.model is not Workspace and "workspace" not in filters:
            filters.insert(0, "workspace")
        return filters


class WorkspaceScopedInline(_ScopingMixin, admin.TabularInline):
    """Inline rows of a tenant model, scoped like their parent."""

    extra = 0


__all__ = ["Membership", "WorkspaceScopedAdmin", "WorkspaceScopedInline"]
