from django.core.management.base import BaseCommand, CommandError

from demo.seed import DemoRefused, seed_demo


class Command(BaseCommand):
    help = "Create the demo workspaces, logins and conversations (idempotent; DEBUG only)."

    def handle(self, *args, **options):
        try:
            result = seed_demo()
        except DemoRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Demo data ready ({result.created_users} users and {result.created_conversations} "
            "conversations created this time)."
        )
