from django.urls import path

from . import views

app_name = "operations"
urlpatterns = [
    path("desk/", views.desk, name="desk"),
    path("counter/", views.counter, name="counter"),
    path("find/", views.find, name="find"),
    path("stays/<uuid:stay_id>/", views.stay_detail, name="stay"),
    path("stays/<uuid:stay_id>/check-in/", views.stay_check_in, name="stay_check_in"),
    path("stays/<uuid:stay_id>/card.pdf", views.stay_card, name="stay_card"),
    path("stays/<uuid:stay_id>/room/", views.stay_room, name="stay_room"),
    path("stays/<uuid:stay_id>/guests/", views.stay_guests, name="stay_guests"),
    path("stays/<uuid:stay_id>/check-out/", views.stay_check_out, name="stay_check_out"),
    path("customers/<uuid:customer_id>/edit/", views.customer_edit, name="customer_edit"),
    path("customers/<uuid:customer_id>/stays/new/", views.stay_new, name="stay_new"),
    path("customers/<uuid:customer_id>/bookings/new/", views.booking_new, name="booking_new"),
    path("bookings/<uuid:booking_id>/", views.booking_page, name="booking"),
    path("customers/<uuid:customer_id>/shipments/new/", views.shipment_new, name="shipment_new"),
    path("deliveries/", views.deliveries, name="deliveries"),
    path("waybills/", views.register, name="register"),
    path("waybills/<str:no>/", views.parcel, name="parcel"),
    path("waybills/<str:no>/scan/", views.parcel_scan, name="parcel_scan"),
    path("waybills/<str:no>/deliver/", views.parcel_deliver, name="parcel_deliver"),
    path("waybills/<str:no>/fail/", views.parcel_fail, name="parcel_fail"),
    path("waybills/<str:no>/label.<str:fmt>", views.parcel_label, name="parcel_label"),
    path("waybills/<str:no>/write-off/", views.waybill_write_off, name="waybill_write_off"),
]
