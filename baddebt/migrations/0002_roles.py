from django.db import migrations

from creditdesk.roles import sync_roles


class Migration(migrations.Migration):
    dependencies = [("baddebt", "0001_initial")]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
