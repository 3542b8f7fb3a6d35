"""Helpers shared by the admin tests."""


def admin_form_errors(response) -> dict:
    """The admin change form's errors, inline formsets included ("<prefix>-<i>-<field>")."""
    assert response.status_code == 200, f"expected the form again with errors, got {response.status_code}"
    errors = dict(response.context["adminform"].form.errors)
    for formset in response.context.get("inline_admin_formsets") or []:
        for i, form_errors in enumerate(formset.formset.errors):
            for name, value in form_errors.items():
                errors[f"{formset.formset.prefix}-{i}-{name}"] = value
    return errors
