from django.urls import path

from . import views

app_name = "console"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("purpose/", views.choose_purpose, name="purpose"),
    path("customers/", views.customer_search, name="customer_search"),
    path("customers/new/", views.customer_new, name="customer_new"),
    path("customers/<uuid:customer_id>/", views.customer_detail, name="customer_detail"),
]
