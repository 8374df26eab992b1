"""The first policy version's notes, written by 0002 in English on earlier installs, in Chinese."""

from django.db import migrations


def notes_in_chinese(apps, schema_editor):
    CreditPolicy = apps.get_model("creditdesk", "CreditPolicy")
    CreditPolicy.objects.filter(notes="Defaults of the credit handbook (HANDBOOK §2).").update(
        notes="信用管理手册第2节规定的默认参数。"
    )


class Migration(migrations.Migration):
    dependencies = [("creditdesk", "0009_duty_kinds")]

    operations = [migrations.RunPython(notes_in_chinese, migrations.RunPython.noop)]
