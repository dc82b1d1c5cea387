from django.urls import path

from careplus.api.views import cases, field, meta, referrals, reporting, returns, trainings

app_name = "api"

CASE = "v1/cases/<uuid:case_id>"

urlpatterns = [
    path("v1/schema/", meta.Schema.as_view(), name="schema"),
    path("v1/docs/", meta.Docs.as_view(url_name="api:schema"), name="docs"),
    path("v1/me/", meta.Me.as_view(), name="me"),
    path("v1/field/package/", field.FieldPackage.as_view(), name="field_package"),
    path("v1/referrals/", referrals.ReferralList.as_view(), name="referral_list"),
    path("v1/referrals/count/", referrals.ReferralCount.as_view(), name="referral_count"),
    path("v1/referrals/<uuid:referral_id>/", referrals.ReferralDetail.as_view(), name="referral_detail"),
    path("v1/cases/", cases.CaseList.as_view(), name="case_list"),
    path("v1/cases/count/", cases.CaseCount.as_view(), name="case_count"),
    path(f"{CASE}/", cases.CaseDetail.as_view(), name="case_detail"),
    path(f"{CASE}/transitions/", cases.CaseTransition.as_view(), name="case_transition"),
    path(f"{CASE}/assessments/", cases.AssessmentList.as_view(), name="assessment_list"),
    path(f"{CASE}/assessments/<slug:section>/", cases.AssessmentDetail.as_view(), name="assessment_detail"),
    path(f"{CASE}/plan-items/", returns.PlanItemList.as_view(), name="plan_item_list"),
    path(f"{CASE}/plan-items/<uuid:item_id>/", returns.PlanItemDetail.as_view(), name="plan_item_detail"),
    path(f"{CASE}/plan-items/<uuid:item_id>/approve/", returns.PlanItemApprove.as_view(), name="plan_item_approve"),
    path(f"{CASE}/plan-items/<uuid:item_id>/deliver/", returns.PlanItemDeliver.as_view(), name="plan_item_deliver"),
    path(f"{CASE}/plan-items/<uuid:item_id>/cancel/", returns.PlanItemCancel.as_view(), name="plan_item_cancel"),
    path(f"{CASE}/visits/", returns.VisitList.as_view(), name="visit_list"),
    path(f"{CASE}/visits/<uuid:visit_id>/", returns.VisitDetail.as_view(), name="visit_detail"),
    path(f"{CASE}/visits/<uuid:visit_id>/record/", returns.VisitRecord.as_view(), name="visit_record"),
    path(f"{CASE}/visits/<uuid:visit_id>/missed/", returns.VisitMissed.as_view(), name="visit_missed"),
    path(f"{CASE}/arrival-items/", returns.ArrivalItemList.as_view(), name="arrival_item_list"),
    path(
        f"{CASE}/arrival-items/<uuid:item_id>/deliver/",
        returns.ArrivalItemDeliver.as_view(),
        name="arrival_item_deliver",
    ),
    path("v1/trainings/", trainings.TrainingList.as_view(), name="training_list"),
    path("v1/trainings/<uuid:session_id>/", trainings.TrainingDetail.as_view(), name="training_detail"),
    path("v1/trainings/<uuid:session_id>/participants/", trainings.ParticipantList.as_view(), name="participant_list"),
    path("v1/programmes/", reporting.ProgrammeList.as_view(), name="programme_list"),
    path(
        "v1/programmes/<uuid:programme_id>/indicators/",
        reporting.ProgrammeIndicators.as_view(),
        name="programme_indicators",
    ),
]
