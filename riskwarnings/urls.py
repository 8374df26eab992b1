from django.urls import path

from . import views

urlpatterns = [
    path("warnings/", views.warning_board, name="warning-board"),
    path("warnings/customers/<int:pk>/", views.customer_warnings, name="customer-warnings"),
    path("warnings/customers/<int:pk>/signals/new/", views.signal_report, name="signal-report"),
    path("warnings/customers/<int:pk>/level/", views.warning_change, name="warning-change"),
    path("warnings/customers/<int:pk>/referrals/new/", views.referral_add, name="referral-add"),
    path("warnings/signals/<int:pk>/", views.signal_detail, name="signal-detail"),
    path("warnings/signal-files/<int:pk>/", views.signal_file, name="signal-file"),
    path(
        "warnings/evaluations/<int:pk>/assess/",
        views.evaluation_assess,
        name="evaluation-assess",
    ),
    path(
        "warnings/evaluations/<int:pk>/conclude/",
        views.evaluation_conclude,
        name="evaluation-conclude",
    ),
    path("warnings/proposals/", views.proposal_list, name="proposal-list"),
    path("warnings/proposals/<int:pk>/decide/", views.proposal_decide, name="proposal-decide"),
    path("warnings/recalls/", views.recall_list, name="recall-list"),
    path("warnings/recalls/<int:pk>/mark/", views.recall_mark, name="recall-mark"),
    path("warnings/reviews/<int:pk>/", views.evidence_review, name="evidence-review"),
    path("warnings/reviews/<int:pk>/items/", views.evidence_item_add, name="evidence-item-add"),
    path(
        "warnings/reviews/items/<int:pk>/check/",
        views.evidence_item_check,
        name="evidence-item-check",
    ),
    path(
        "warnings/reviews/<int:pk>/remedies/",
        views.evidence_remedy_add,
        name="evidence-remedy-add",
    ),
    path(
        "warnings/remedies/<int:pk>/obtain/",
        views.evidence_remedy_obtain,
        name="evidence-remedy-obtain",
    ),
    path("warnings/remedies/<int:pk>/file/", views.remedy_file, name="remedy-file"),
    path(
        "warnings/reviews/<int:pk>/complete/",
        views.evidence_review_complete,
        name="evidence-review-complete",
    ),
]
