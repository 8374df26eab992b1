"""How long one evaluation report takes to render (HANDBOOK §4; target: under 1 s).

`run()` is called by bench/run.py after Django is set up and the database migrated. It creates a
customer and a scored evaluation inside a transaction that is rolled back afterwards.
"""

import datetime as dt
import time
from decimal import Decimal

from django.db import transaction


class _Rollback(Exception):
    pass


def _scored_evaluation():
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from credit.models import Evaluation
    from credit.scoring import compute_scorecard
    from creditdesk.models import SCORECARD_ASPECTS
    from creditdesk.policy import policy_on
    from customers.models import Customer

    today = timezone.localdate()
    user = get_user_model().objects.create(username="bench-credit-pdf")
    customer = Customer.objects.create(
        erp_code="BENCH-PDF-1",
        name="上海华东精细化工有限公司",
        credit_code="91310115MA1H7BENCH",
        registered_address="上海市浦东新区张江路88号",
        established_on=today - dt.timedelta(days=365 * 12),
        registered_capital=Decimal("50000000.00"),
        total_assets=Decimal("120000000.00"),
        legal_representative="王建国",
        salesperson=user,
        dossier_number="CD-BENCH-00001",
    )
    policy = policy_on()
    inputs = {
        key: {"rating": str(60 + i * 4), "note": "走访核实，经营情况良好"}
        for i, (key, _label) in enumerate(SCORECARD_ASPECTS)
    }
    card = compute_scorecard(policy, customer, inputs, today)
    return Evaluation.objects.create(
        customer=customer,
        trigger=Evaluation.Trigger.FIRST_APPLICATION,
        policy=policy,
        inputs=inputs,
        factors=card["factors"],
        total_score=card["total"],
        credit_level=card["level"],
        asset_class=card["asset_class"],
        verification_notes="工商登记、法院执行信息、实地走访均已核实。",
        suggested_limit=Decimal("8000000.00"),
        suggested_term_days=90,
        suggestion_notes=["参考矩阵 A1"],
        document_checklist=[{"label": "营业执照副本", "status": "valid", "expires_on": None}],
    )


def run() -> dict:
    from credit.pdf import evaluation_report_pdf

    result: dict = {}
    try:
        with transaction.atomic():
            evaluation = _scored_evaluation()
            evaluation_report_pdf(evaluation)  # warm up: fonts and Pango load once per process
            started = time.perf_counter()
            pdf = evaluation_report_pdf(evaluation)
            result["evaluation_pdf_s"] = round(time.perf_counter() - started, 4)
            assert pdf.startswith(b"%PDF")
            raise _Rollback
    except _Rollback:
        pass
    return result
