"""factory_boy factories shared by every app's tests. Each app appends its own section."""

import datetime as dt
import random
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.utils import timezone

from creditdesk.roles import Role
from customers.models import Contact, Customer, CustomerGroup, QualificationDocument
from customers.services import pinyin_initials
from customers.validators import CODE_CHARSET, credit_code_check_character

PDF_BYTES = b"%PDF-1.4\n%test\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def valid_credit_code(n: int) -> str:
    rng = random.Random(n)
    body = "91310115" + "".join(rng.choice(CODE_CHARSET) for _ in range(9))
    return body + credit_code_check_character(body)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@creditdesk.test")
    first_name = "测试"
    last_name = factory.Sequence(lambda n: f"用户{n}")
    password = factory.django.Password("pw-for-tests")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get_or_create(name=str(extracted))[0])
            if extracted == Role.ADMIN:
                self.is_staff = self.is_superuser = True
                self.save(update_fields=["is_staff", "is_superuser"])


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    erp_code = factory.Sequence(lambda n: f"T{100000 + n}")
    name = factory.Sequence(lambda n: f"测试化工有限公司{n}")
    pinyin_initials = factory.LazyAttribute(lambda o: pinyin_initials(o.name))
    credit_code = factory.Sequence(valid_credit_code)
    registered_address = "上海市浦东新区测试路1号"
    operating_address = "上海市浦东新区测试路1号"
    established_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=365 * 8))
    registered_capital = Decimal("10000000.00")
    total_assets = Decimal("50000000.00")
    legal_representative = "张三"
    industry = "C26"
    salesperson = factory.SubFactory(UserFactory, role=Role.SALES)
    dossier_number = factory.Sequence(lambda n: f"CD-2026-T{n:05d}")
    first_trade_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=400))


class CustomerGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerGroup

    name = factory.Sequence(lambda n: f"测试集团{n}")
    code = factory.Sequence(lambda n: f"G{n:04d}")


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    customer = factory.SubFactory(CustomerFactory)
    name = "李会计"
    email = factory.Sequence(lambda n: f"ap{n}@customer.test")


class DocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QualificationDocument

    customer = factory.SubFactory(CustomerFactory)
    kind = QualificationDocument.Kind.BUSINESS_LICENCE
    file = factory.LazyFunction(lambda: ContentFile(PDF_BYTES, name="licence.pdf"))
    issued_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=100))
    expires_on = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=265))
    uploaded_by = factory.SelfAttribute("customer.salesperson")
