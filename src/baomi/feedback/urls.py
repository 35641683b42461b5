from django.urls import path

from . import views

app_name = "feedback"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("new/", views.new, name="new"),
    path("<int:ticket_id>/", views.ticket, name="ticket"),
    path("<int:ticket_id>/move/", views.move, name="move"),
    path("<int:ticket_id>/rating/", views.rating, name="rating"),
    path("quality/", views.standards, name="standards"),
    path("quality/rectifications/<int:item_id>/close/", views.close_item, name="close_item"),
    path("surveys/", views.surveys_page, name="surveys"),
    path("outbox/", views.outbox, name="outbox"),
    # the customer's pages (portal sign-in) and the one-time survey link (no sign-in)
    path("mine/", views.mine, name="mine"),
    path("mine/<int:ticket_id>/rating/", views.mine_rate, name="mine_rate"),
    path("survey/<str:token>/", views.survey_answer, name="survey"),
]
