from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand
from django.db import transaction
from rest_framework.authtoken.models import Token


class Command(BaseCommand):
    help = (
        "Create (or keep) the ERP service account that pushes invoices, payments and orders and runs "
        "release-gate checks, and print its API token."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", nargs="?", default="erp")
        parser.add_argument("--rotate", action="store_true", help="issue a new token")

    @transaction.atomic
    def handle(self, *args, username: str, rotate: bool, **options):
        user, created = get_user_model().objects.get_or_create(
            username=username, defaults={"first_name": "ERP", "last_name": "integration"}
        )
        if created:
            user.set_unusable_password()  # token only: the account never logs in to the pages
            user.save()
        user.user_permissions.add(
            Permission.objects.get(
                content_type__app_label="receivables", codename="erp_integration"
            )
        )
        if rotate:
            Token.objects.filter(user=user).delete()
        token, _ = Token.objects.get_or_create(user=user)
        self.stdout.write(f"{'Created' if created else 'Kept'} {username}; token: {token.key}")
