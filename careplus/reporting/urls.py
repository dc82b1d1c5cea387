from django.urls import path

from careplus.reporting import views

app_name = "reporting"

urlpatterns = [
    path("tableau-de-bord/", views.dashboard, name="dashboard"),
    path("tableau-de-bord/rapport.xlsx", views.donor_xlsx, name="donor_xlsx"),
    path("tableau-de-bord/rapport.pdf", views.donor_pdf, name="donor_pdf"),
    path("tableau-de-bord/donnees-anonymisees.csv", views.dataset_csv, name="dataset_csv"),
]
