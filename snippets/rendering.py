"""A small, safe variable substitution for snippet text (never the Django template engine).

`{{contact.first_name}}` and friends are replaced in one pass by plain-text values; a value is never
scanned again, so a contact named "{{agent.name}}" stays that text. Unknown variables are left as
they are and flagged; a variable whose value is empty renders blank and is flagged, so the agent
sees it before sending. The result is plain text: whoever shows it escapes it (the composer sets
the textarea's value; pages autoescape).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kernel.text import clean_line

# {{ name.part }} with optional spaces inside the braces.
VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*\}\}")
VALUE_MAX_CHARS = 200

# variable → what it stands for, for the agent ("This snippet needs the contact's phone, …").
VARIABLES: dict[str, str] = {
    "contact.first_name": gettext_lazy("the contact's first name"),
    "contact.name": gettext_lazy("the contact's name"),
    "contact.phone": gettext_lazy("the contact's phone"),
    "contact.email": gettext_lazy("the contact's email"),
    "agent.first_name": gettext_lazy("your first name"),
    "agent.name": gettext_lazy("your name"),
    "workspace.name": gettext_lazy("the workspace name"),
}


@dataclass(frozen=True)
class RenderWarning:
    code: str  # "missing" | "unknown"
    variable: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "variable": self.variable, "message": self.message}


@dataclass
class Rendered:
    text: str
    warnings: list[RenderWarning] = field(default_factory=list)


def variables_in(body: str) -> list[str]:
    """Every variable named in the text, in order, without repeats."""
    return list(dict.fromkeys(m.group(1) for m in VARIABLE.finditer(body or "")))


def unknown_variables(body: str) -> list[str]:
    return [name for name in variables_in(body) if name not in VARIABLES]


def render_text(body: str, *, values: dict[str, str]) -> Rendered:
    """Substitute known variables by their (single-line, plain-text) values; flag missing and unknown ones."""
    warnings: dict[str, RenderWarning] = {}

    def replace(match: re.Match) -> str:
        name = match.group(1)
        if name not in VARIABLES:
            warnings.setdefault(name, RenderWarning(
                "unknown", name,
                _("“%(variable)s” is not a variable Parley knows; it was left as it is.")
                % {"variable": match.group(0)},
            ))
            return match.group(0)
        value = clean_line(values.get(name) or "", limit=VALUE_MAX_CHARS)
        if not value:
            warnings.setdefault(name, RenderWarning(
                "missing", name,
                _("This snippet needs %(what)s, which is empty.") % {"what": VARIABLES[name]},
            ))
        return value

    text = VARIABLE.sub(replace, body or "")
    return Rendered(text=text, warnings=list(warnings.values()))


def values_for(*, contact, member, workspace) -> dict[str, str]:
    """The variables' values for one conversation's contact, the replying member and the workspace."""
    user = member.user
    return {
        "contact.first_name": contact.first_name,
        "contact.name": contact.name,
        "contact.phone": contact.phone,
        "contact.email": contact.email,
        "agent.first_name": user.first_name or member.display_name.split(" ")[0],
        "agent.name": member.display_name,
        "workspace.name": workspace.name,
    }
