"""Outbound delivery: the next attempt's time, the claim of the attempt under way, and one row per part
the provider accepted (replacing the JSON map of parts, copied over for messages still queued)."""

import django.db.models.deletion
from django.db import migrations, models


def copy_parts(apps, schema_editor):
    Message = apps.get_model("inbox", "Message")
    DeliveredPart = apps.get_model("inbox", "DeliveredPart")
    rows = []
    for message in Message.objects.filter(status="queued").exclude(delivered_parts={}).iterator():
        parts = message.delivered_parts if isinstance(message.delivered_parts, dict) else {}
        rows.extend(DeliveredPart(workspace_id=message.workspace_id, message_id=message.pk, key=str(key)[:64],
                                  external_id=str(external_id or "")[:255], accepted_at=message.created_at)
                    for key, external_id in parts.items())
    DeliveredPart.objects.bulk_create(rows, batch_size=500)


class Migration(migrations.Migration):

    dependencies = [
        ("inbox", "0004_message_delivered_parts"),
        ("workspaces", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="message",
            name="next_attempt_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="message",
            name="claim_token",
            field=models.UUIDField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="message",
            name="claimed_until",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.CreateModel(
            name="DeliveredPart",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("key", models.CharField(max_length=64)),
                ("external_id", models.CharField(blank=True, max_length=255)),
                ("accepted_at", models.DateTimeField()),
                ("message", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                              related_name="delivered_parts", to="inbox.message")),
                ("workspace", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                                to="workspaces.workspace", verbose_name="workspace")),
            ],
            options={
                "verbose_name": "delivered part",
                "verbose_name_plural": "delivered parts",
                "constraints": [models.UniqueConstraint(fields=("message", "key"), name="delivered_part_once")],
            },
        ),
        migrations.RunPython(copy_parts, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="message",
            name="delivered_parts",
        ),
    ]
