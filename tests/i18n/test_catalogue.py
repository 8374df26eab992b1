"""The Simplified Chinese catalogue is complete; pages speak Chinese by default."""

import re

import polib
import pytest
from django.urls import reverse
from django.utils import translation

from scripts.untranslated import catalogue, problems


def test_every_zh_hans_entry_is_translated_and_none_is_fuzzy():
    found = problems("zh_Hans")
    listing = "\n".join(f"  {p.kind}: {p.msgid!r} ({p.where})" for p in found)
    assert not found, (
        f"{len(found)} zh_Hans entries to translate "
        f"(see `python scripts/untranslated.py`):\n{listing}"
    )


def test_translations_keep_the_placeholders():
    po = polib.pofile(str(catalogue("zh_Hans")))
    for entry in po.translated_entries():
        wanted = sorted(re.findall(r"%\(\w+\)[sd]", entry.msgid))
        for text in [entry.msgstr, *entry.msgstr_plural.values()]:
            if text:
                assert sorted(set(re.findall(r"%\(\w+\)[sd]", text))) == sorted(set(wanted)), (
                    entry.msgid
                )


def test_english_falls_back_to_its_english_msgids():
    """msgids are English: the en catalogue is complete when every msgstr is empty or equal."""
    po = polib.pofile(str(catalogue("en")))
    assert not po.fuzzy_entries()
    with translation.override("en"):
        assert translation.gettext("Log in") == "Log in"


@pytest.fixture(autouse=True)
def _product_default_language(settings):
    """These tests are about the product's default, which the suite otherwise sets to English."""
    settings.LANGUAGE_CODE = "zh-hans"


@pytest.mark.django_db
def test_the_login_page_is_in_chinese_by_default(client):
    html = client.get(reverse("login")).content.decode()
    assert "登录信用管理系统" in html
    assert 'lang="zh-hans"' in html


@pytest.mark.django_db
def test_the_navigation_is_in_chinese(client_as):
    html = client_as("credit_team").get(reverse("home")).content.decode()
    for word in ["我的工作", "客户", "信用政策", "退出登录"]:
        assert word in html, word


@pytest.mark.django_db
def test_the_lockout_page_is_in_chinese(client, make_user):
    make_user("sales", username="zhou", password="right-pass-123")
    for _ in range(6):
        response = client.post(reverse("login"), {"username": "zhou", "password": "wrong"})
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()
