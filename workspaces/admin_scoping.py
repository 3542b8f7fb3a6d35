"""One base class makes every app's admin workspace-scoped.

Workspace admins (not superusers) see, add and edit only their workspaces' rows; every foreign-key
and many-to-many choice is limited to those workspaces (on an existing row: to the row's own
workspace); a row whose related objects belong to another workspace than its own is rejected by the
form, even when the admin belongs to both. A row's workspace is chosen once, when it is added, and
is read-only afterwards (moving a row would strand its related rows in the old workspace). Inline
rows always take their parent's workspace. Relation list filters only offer related rows that
appear in the admin's own (scoped) rows.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import models
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _

from .admin_site import workspace_ids_for_admin
from .models import Membership, TenantModel, User, Workspace


def _is_tenant(model) -> bool:
    return isinstance(model, type) and issubclass(model, TenantModel)


def _owner_id(obj) -> int | None:
    """The workspace a row belongs to (a Workspace belongs to itself)."""
    if obj is None:
        return None
    if isinstance(obj, Workspace):
        return obj.pk
    return getattr(obj, "workspace_id", None)


class WorkspaceConsistentForm(forms.ModelForm):
    """Rejects related tenant rows that belong to another workspace than the row itself.

    Inline forms receive `parent_instance` (see WorkspaceInlineFormSet) and take its workspace.
    """

    def __init__(self, *args, parent_instance=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.parent_instance = parent_instance
        workspace_id = self._row_workspace_id(initial_only=True)
        if workspace_id is not None:
            # An existing row (or a row of an existing parent): offer only its own workspace's rows.
            for field in self.fields.values():
                if isinstance(field, forms.ModelChoiceField) and _is_tenant(field.queryset.model):
                    field.queryset = field.queryset.filter(workspace_id=workspace_id)

    def _row_workspace_id(self, *, initial_only: bool = False) -> int | None:
        if self.parent_instance is not None:
            return _owner_id(self.parent_instance)
        if not initial_only and "workspace" in self.fields:
            workspace = getattr(self, "cleaned_data", {}).get("workspace")
            return workspace.pk if workspace is not None else None
        return getattr(self.instance, "workspace_id", None)

    def clean(self):
        cleaned = super().clean()
        if not _is_tenant(self._meta.model):
            return cleaned
        workspace_id = self._row_workspace_id()
        if self.parent_instance is not None and workspace_id is not None:
            if self.instance.workspace_id is None:
                self.instance.workspace_id = workspace_id
            elif self.instance.workspace_id != workspace_id:
                raise ValidationError(_("This row belongs to another workspace."))
        if workspace_id is None:
            return cleaned  # the workspace itself failed validation: that error is shown already
        for field in self._meta.model._meta.get_fields():
            if field.name == "workspace" or field.name not in cleaned:
                continue
            if not getattr(field, "is_relation", False) or not _is_tenant(field.related_model):
                continue
            value = cleaned[field.name]
            values = list(value) if isinstance(value, (list, tuple, models.QuerySet)) else [value]
            if any(related is not None and related.workspace_id != workspace_id for related in values):
                self.add_error(field.name, ValidationError(_("Choose an item of the same workspace.")))
        return cleaned

    def _get_validation_exclusions(self):
        # The workspace is read-only on change and absent from inline forms, but unique constraints
        # that include it (e.g. one category name per workspace) must still be checked by the form
        # rather than end as an IntegrityError.
        exclude = super()._get_validation_exclusions()
        if getattr(self.instance, "workspace_id", None) is not None:
            exclude.discard("workspace")
        return exclude


class WorkspaceInlineFormSet(BaseInlineFormSet):
    """Hands the parent to each inline form, so its rows take (and are checked against) its workspace."""

    def get_form_kwargs(self, index):
        kwargs = super().get_form_kwargs(index)
        kwargs["parent_instance"] = self.instance
        return kwargs

    def save_new(self, form, commit=True):
        form.instance.workspace_id = _owner_id(self.instance)
        return super().save_new(form, commit=commit)


class ScopedRelatedFieldListFilter(admin.RelatedOnlyFieldListFilter):
    """A relation filter offering only related rows referenced by the admin's own rows, in one query."""

    # What str() of a related row reads, so the choices do not cost one query each.
    select_related_for_str = {Membership: ["user"]}

    def field_choices(self, field, request, model_admin):
        related_model = field.related_model
        pks = model_admin.get_queryset(request).distinct().values_list(f"{self.field_path}__pk", flat=True)
        qs = related_model._default_manager.filter(pk__in=pks)
        if related_model in self.select_related_for_str:
            qs = qs.select_related(*self.select_related_for_str[related_model])
        ordering = self.field_admin_ordering(field, request, model_admin)
        if ordering:
            qs = qs.order_by(*ordering)
        return [(obj.pk, str(obj)) for obj in qs]


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
        return _owner_id(obj) in ids

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

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and self.model is not Workspace and "workspace" not in fields:
            fields.append("workspace")
        return fields

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        if request.user.is_superuser and self.model is not Workspace and "workspace" not in columns:
            columns.append("workspace")
        return columns

    def get_list_select_related(self, request):
        related = super().get_list_select_related(request)
        if request.user.is_superuser and self.model is not Workspace and isinstance(related, (list, tuple)):
            related = [*related, "workspace"] if "workspace" not in related else related
        return related

    def get_list_filter(self, request):
        filters = []
        for entry in super().get_list_filter(request):
            if isinstance(entry, str) and self._is_relation_path(entry):
                entry = (entry, ScopedRelatedFieldListFilter)
            filters.append(entry)
        if request.user.is_superuser and self.model is not Workspace and "workspace" not in filters:
            filters.insert(0, "workspace")
        return filters

    def _is_relation_path(self, path: str) -> bool:
        model = self.model
        field = None
        for part in path.split("__"):
            try:
                field = model._meta.get_field(part)
            except FieldDoesNotExist:  # not a field path: leave the filter as declared
                return False
            if not getattr(field, "is_relation", False):
                return False
            model = field.related_model
        return field is not None

    def save_model(self, request, obj, form, change):
        # Defence in depth: the form already limits the workspace choices.
        if not request.user.is_superuser and _owner_id(obj) not in self._workspace_ids(request):
            raise PermissionDenied
        super().save_model(request, obj, form, change)


class WorkspaceScopedInline(_ScopingMixin, admin.TabularInline):
    """Inline rows of a tenant model, scoped like their parent and always in the parent's workspace."""

    extra = 0
    form = WorkspaceConsistentForm
    formset = WorkspaceInlineFormSet

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        if _is_tenant(self.model) and "workspace" not in exclude:
            exclude.append("workspace")
        return exclude


__all__ = [
    "Membership",
    "ScopedRelatedFieldListFilter",
    "WorkspaceConsistentForm",
    "WorkspaceInlineFormSet",
    "WorkspaceScopedAdmin",
    "WorkspaceScopedInline",
]
