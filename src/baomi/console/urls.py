from django.urls import path

from . import kpi_views, security, signin, views

app_name = "console"
urlpatterns = [
    path("", views.home, name="home"),
    # sign-in: password → one-time code (or first enrolment) → new password when due
    path("login/", signin.login_view, name="login"),
    path("login/code/", signin.login_code, name="login_code"),
    path("login/enrol/", signin.login_enrol, name="login_enrol"),
    path("login/password/", signin.login_password, name="login_password"),
    path("login/cancel/", signin.login_cancel, name="login_cancel"),
    path("logout/", signin.logout_view, name="logout"),
    path("password/", signin.password_change, name="password_change"),
    # customer data (the gate decides every field)
    path("purpose/", views.choose_purpose, name="purpose"),
    path("customers/", views.customer_search, name="customer_search"),
    path("customers/new/", views.customer_new, name="customer_new"),
    path("customers/<uuid:customer_id>/", views.customer_detail, name="customer_detail"),
    path(
        "customers/<uuid:customer_id>/break-glass/", views.break_glass, name="customer_break_glass"
    ),
    path("customers/<uuid:customer_id>/consents/", views.customer_consent, name="customer_consent"),
    # indicators (issue #10 §3)
    path("kpis/", kpi_views.kpi_board, name="kpis"),
    path("kpis/<str:code>/", kpi_views.kpi_detail, name="kpi_detail"),
    # staff security
    path("staff/", security.staff_list, name="staff_list"),
    path("staff/new/", security.staff_create, name="staff_create"),
    path("staff/<int:staff_id>/", security.staff_detail, name="staff_detail"),
    path("staff/<int:staff_id>/role/", security.staff_role, name="staff_role"),
    path("staff/<int:staff_id>/deactivate/", security.staff_deactivate, name="staff_deactivate"),
    path("staff/<int:staff_id>/reset-mfa/", security.staff_reset_mfa, name="staff_reset_mfa"),
    path(
        "staff/<int:staff_id>/reset-password/",
        security.staff_reset_password,
        name="staff_reset_password",
    ),
    path("staff/<int:staff_id>/sessions/", security.staff_sessions, name="staff_sessions"),
    path("approvals/", security.approvals, name="approvals"),
    path("approvals/<int:approval_id>/decide/", security.approval_decide, name="approval_decide"),
    path("approvals/policy/", security.approval_request_policy, name="approval_policy"),
    path(
        "approvals/key-rotation/",
        security.approval_request_key_rotation,
        name="approval_key_rotation",
    ),
    path("reviews/break-glass/", security.review_break_glass_queue, name="review_break_glass"),
    path(
        "reviews/break-glass/<int:grant_id>/",
        security.review_break_glass,
        name="review_break_glass_note",
    ),
    path(
        "reviews/break-glass/operations/<int:op_id>/",
        security.review_break_glass_operation,
        name="review_break_glass_operation",
    ),
    path("reviews/offboarding/", security.review_offboarding_queue, name="review_offboarding"),
    path(
        "reviews/offboarding/<int:review_id>/",
        security.review_offboarding,
        name="review_offboarding_note",
    ),
    path("access-review/", security.access_review, name="access_review"),
    path("access-review.csv", security.access_review_csv, name="access_review_csv"),
]
