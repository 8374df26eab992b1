from django.urls import path

from receivables.gate import views

urlpatterns = [
    path("gate/", views.gate_check_form, name="gate-check-form"),
    path("gate/checks/", views.gate_check_list, name="gate-check-list"),
    path("gate/checks/<int:pk>/", views.gate_check_detail, name="gate-check-detail"),
    path("gate/checks/<int:pk>/release/", views.gate_check_release, name="gate-check-release"),
    path("gate/checks/<int:pk>/ask/", views.gate_release_ask, name="gate-check-ask"),
    path("gate/checks/<int:pk>/propose/", views.gate_check_propose, name="gate-check-propose"),
    path("gate/checks/<int:pk>/request/", views.gate_check_request, name="gate-check-request"),
    path("gate/checks/<int:pk>/approve/", views.gate_check_approve, name="gate-check-approve"),
    path("gate/checks/<int:pk>/cancel/", views.gate_check_cancel, name="gate-check-cancel"),
    path("gate/queue/", views.gate_release_queue, name="gate-release-queue"),
    path("gate/undelivered/", views.undelivered_list, name="gate-undelivered"),
    path("gate/orders/<int:pk>/mark/", views.sales_order_mark, name="sales-order-mark"),
    path("customers/<int:pk>/gate/", views.customer_gate, name="customer-gate"),
]
