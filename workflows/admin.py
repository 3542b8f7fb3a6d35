"""Workflows in the admin (scoped to the admin's workspace): written as sentences, tested with a dry run,
and every run readable afterwards."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from inbox.models import Conversation
from workspaces.admin_scoping import WorkspaceScopedAdmin, WorkspaceScopedInline

from . import selectors, sentences
from .admin_forms import ConditionForm, StepForm, WorkflowForm
from .models import Condition, Step, Workflow, WorkflowRun
from .services import dryrun, setup


class _SentenceInline(WorkspaceScopedInline):
    template = "admin/workflows/sentence_inline.html"
    extra = 0
    lead_first = ""
    lead_rest = ""

    class Media:
        css = {"all": ["css/workflow_admin.css"]}
        js = ["js/workflow_admin.js"]


class ConditionInline(_SentenceInline):
    model = Condition
    form = ConditionForm
    verbose_name = _("condition (all must hold)")
    verbose_name_plural = _("conditions (all must hold)")
    lead_first = _("if")
    lead_rest = _("and")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("tag")


class StepInline(_SentenceInline):
    model = Step
    form = StepForm
    verbose_name = _("step")
    verbose_name_plural = _("steps (in order)")
    lead_first = _("first")
    lead_rest = _("then")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("member__user", "team", "tag", "category", "snippet",
                                                            "survey")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "member" and field is not None:
            field.queryset = field.queryset.select_related("user")
        return field


@admin.register(Workflow)
class WorkflowAdmin(WorkspaceScopedAdmin):
    form = WorkflowForm
    inlines = [ConditionInline, StepInline]
    list_display = ["name", "enabled", "in_words", "position"]
    list_filter = ["enabled", "trigger"]
    search_fields = ["name"]
    actions = ["dry_run", "enable", "disable"]
    readonly_fields = ["in_words", "recent_runs"]
    fieldsets = [
        (None, {"fields": ["workspace", "name", "enabled", "position"]}),
        (_("When"), {"fields": ["trigger", "trigger_words", "trigger_tag"]}),
        (_("In words"), {"fields": ["in_words", "recent_runs"]}),
    ]

    class Media:
        css = {"all": ["css/workflow_admin.css"]}
        js = ["js/workflow_admin.js"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("trigger_tag").prefetch_related(
            Prefetch("conditions", queryset=Condition.objects.select_related("tag")),
            Prefetch("steps", queryset=Step.objects.select_related("member__user", "team", "tag", "category",
                                                                    "snippet", "survey")))

    @admin.display(description=_("in words"))
    def in_words(self, obj: Workflow) -> str:
        if obj.pk is None:
            return _("Saved workflows read here as one sentence.")
        return sentences.workflow_sentence(obj, selectors.ordered_conditions(obj), selectors.ordered_steps(obj))

    @admin.display(description=_("runs"))
    def recent_runs(self, obj: Workflow) -> str:
        if obj.pk is None:
            return "—"
        url = reverse("admin:workflows_workflowrun_changelist") + "?" + urlencode({"workflow__id__exact": obj.pk})
        dry = reverse("admin:workflows_workflow_dry_run") + "?" + urlencode({"ids": obj.pk})
        return format_html('<a href="{}">{}</a> · <a href="{}">{}</a>', url, _("See its runs"), dry,
                           _("Test on a conversation (dry run)"))

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        setup.workflow_saved(workspace_id=form.instance.workspace_id, workflow_id=form.instance.pk)

    def delete_model(self, request, obj):
        workspace_id = obj.workspace_id
        super().delete_model(request, obj)
        setup.workflows_changed(workspace_id=workspace_id)

    def delete_queryset(self, request, queryset):
        workspace_ids = set(queryset.values_list("workspace_id", flat=True))
        super().delete_queryset(request, queryset)
        for workspace_id in workspace_ids:
            setup.workflows_changed(workspace_id=workspace_id)

    @admin.action(description=_("Enable the selected workflows"))
    def enable(self, request, queryset):
        setup.workflows_enable(queryset=queryset, enabled=True)

    @admin.action(description=_("Disable the selected workflows"))
    def disable(self, request, queryset):
        setup.workflows_enable(queryset=queryset, enabled=False)

    @admin.action(description=_("Test the selected workflows on a conversation (dry run)"))
    def dry_run(self, request, queryset):
        ids = ",".join(str(pk) for pk in queryset.values_list("pk", flat=True))
        return HttpResponseRedirect(reverse("admin:workflows_workflow_dry_run") + "?" + urlencode({"ids": ids}))

    def get_urls(self):
        return [path("dry-run/", self.admin_site.admin_view(self.dry_run_view), name="workflows_workflow_dry_run"),
                *super().get_urls()]

    def dry_run_view(self, request: HttpRequest) -> HttpResponse:
        """Which workflows would trigger on a conversation, which conditions pass, which steps would run —
        read only: nothing is written, assigned or sent."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        workflows = self._scoped_workflows(request)
        workspace_ids = sorted({w.workspace_id for w in workflows}) or self._workspace_ids(request)
        if request.user.is_superuser and not workspace_ids:
            workspace_ids = list(Workflow.objects.values_list("workspace_id", flat=True).distinct())
        conversation = None
        raw = (request.GET.get("conversation") or "").strip()
        if raw:
            if not raw.isdigit():
                messages.error(request, _("Choose a conversation."))
            else:
                conversation = get_object_or_404(
                    Conversation.objects.filter(workspace_id__in=workspace_ids).select_related("channel", "contact"),
                    pk=int(raw))
        reports = []
        if conversation is not None:
            reports = [dryrun.dry_run(workspace=conversation.workspace, workflow=w, conversation=conversation)
                       for w in workflows if w.workspace_id == conversation.workspace_id]
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "title": _("Dry run"),
            "workflows": workflows, "ids": ",".join(str(w.pk) for w in workflows), "reports": reports,
            "conversation": conversation,
            "conversations": selectors.recent_conversations(workspace_ids=workspace_ids),
        }
        return TemplateResponse(request, "admin/workflows/dry_run.html", context)

    def _scoped_workflows(self, request) -> list[Workflow]:
        qs = self.get_queryset(request)
        ids = [int(p) for p in (request.GET.get("ids") or "").split(",") if p.strip().isdigit()]
        if ids:
            qs = qs.filter(pk__in=ids)
        return list(qs.order_by("position", "id"))


@admin.register(WorkflowRun)
class WorkflowRunAdmin(WorkspaceScopedAdmin):
    """What each run checked and did (read only)."""

    list_display = ["created_at", "workflow", "conversation_link", "state", "summary"]
    list_filter = ["state", "workflow"]
    list_select_related = ["workflow"]
    date_hierarchy = None
    show_full_result_count = False
    fields = ["workflow", "event_key", "conversation_link", "state", "resume_at", "checks_text", "log_text",
              "error", "created_at", "updated_at"]
    readonly_fields = fields

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("conversation"))
    def conversation_link(self, obj: WorkflowRun) -> str:
        if obj.conversation_id is None:
            return "—"
        url = reverse("inbox:conversation", args=[obj.workspace.slug, obj.conversation_id])
        return format_html('<a href="{}">#{}</a>', url, obj.conversation_id)

    @admin.display(description=_("what happened"))
    def summary(self, obj: WorkflowRun) -> str:
        if obj.error:
            return obj.error
        if obj.log:
            return obj.log[-1].get("text", "")
        failed = [c["text"] for c in obj.checks if not c.get("passed")]
        return (_("Not met: %(conditions)s") % {"conditions": "; ".join(failed)}) if failed else ""

    @admin.display(description=_("conditions"))
    def checks_text(self, obj: WorkflowRun) -> str:
        if not obj.checks:
            return "—"
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{} — {}{}</li>", (
            (c["text"], _("passes") if c.get("passed") else _("fails"),
             f" ({c['note']})" if c.get("note") else "") for c in obj.checks)))

    @admin.display(description=_("steps"))
    def log_text(self, obj: WorkflowRun) -> str:
        if not obj.log:
            return "—"
        return format_html("<ol>{}</ol>", format_html_join("", "<li>{}{}</li>", (
            (entry.get("text", ""), "" if entry.get("ok", True) else " ✗") for entry in obj.log)))

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("workflow", "workspace")
