from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from creditdesk.registry import DEMO_SEEDERS
from creditdesk.roles import Role

DEMO_PASSWORD = "CreditDesk-demo-2026"  # noqa: S105  (documented in the README, demo only)

# username → (role, display name)
DEMO_USERS = {
    "sales1": (Role.SALES, "王", "销售"),
    "sales2": (Role.SALES, "李", "业务"),
    "salesdir": (Role.SALES_DIRECTOR, "赵", "总监"),
    "credit1": (Role.CREDIT_TEAM, "陈", "信用"),
    "credit2": (Role.CREDIT_TEAM, "周", "信用"),
    "creditmgr": (Role.CREDIT_MANAGER, "孙", "主管"),
    "finance": (Role.FINANCE_DIRECTOR, "钱", "财务"),
    "gm": (Role.GENERAL_MANAGER, "郑", "总经理"),
    "logistics": (Role.LOGISTICS, "吴", "物流"),
    "legal": (Role.LEGAL, "冯", "法务"),
    "admin": (Role.ADMIN, "系统", "管理员"),
}


class Command(BaseCommand):
    help = "Create one demo user per role and demo business data. Does nothing on a non-empty database."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="seed even if users exist")

    def handle(self, *args, force: bool = False, **options):
        User = get_user_model()
        if User.objects.filter(username__in=DEMO_USERS).exists() and not force:
            self.stdout.write("Demo data already present; nothing to do.")
            return
        with transaction.atomic():
            for username, (role, last, first) in DEMO_USERS.items():
                user, _ = User.objects.get_or_create(
                    username=username,
                    defaults={
                        "first_name": first,
                        "last_name": last,
                        "email": f"{username}@creditdesk.local",
                    },
                )
                user.set_password(DEMO_PASSWORD)
                user.is_staff = role == Role.ADMIN
                user.is_superuser = role == Role.ADMIN
                user.save()
                user.groups.add(Group.objects.get(name=role))
            for _order, seeder in DEMO_SEEDERS:
                seeder(self.stdout)
        self.stdout.write(self.style.SUCCESS(f"Demo users ready; password: {DEMO_PASSWORD}"))
