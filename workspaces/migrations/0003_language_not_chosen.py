"""User.language may be blank: "never chosen", so the pages follow the browser's Accept-Language.

Until now the field defaulted to "en", so a stored "en" cannot tell a choice from the default. The data
step blanks only that former default: "es" (which nobody got without choosing it) is kept, and someone
who did choose English keeps English whenever the browser asks for it, and can choose it again in one
click otherwise. Reversing stores the old default back into every blank row.
"""

from django.db import migrations, models

FORMER_DEFAULT = "en"


def forget_the_default(apps, schema_editor):
    User = apps.get_model("workspaces", "User")
    User.objects.using(schema_editor.connection.alias).filter(language=FORMER_DEFAULT).update(language="")


def restore_the_default(apps, schema_editor):
    User = apps.get_model("workspaces", "User")
    User.objects.using(schema_editor.connection.alias).filter(language="").update(language=FORMER_DEFAULT)


class Migration(migrations.Migration):

    dependencies = [
        ("workspaces", "0002_invitation"),
    ]

    operations = [
        migrations.AlterField(
            model_name="user",
            name="language",
            field=models.CharField(blank=True, choices=[("en", "English"), ("es", "Spanish")], default="",
                                   help_text="Empty: the pages follow the language of the person's browser.",
                                   max_length=8, verbose_name="language"),
        ),
        migrations.RunPython(forget_the_default, restore_the_default),
    ]
