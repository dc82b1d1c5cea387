"""Encrypt the free text kept in clear beside encrypted neighbours (issue 19, point 13).

The languages a referred person speaks and the service a referral was redirected to: encrypted
under the referral's data key, existing rows included (see `returns/migrations/_sealing.py`).
Backwards, the columns come back empty: the clear text is not written out again.
"""

from __future__ import annotations

import careplus.core.fields
from django.db import migrations

from careplus.returns.migrations._sealing import moves


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0006_partner_order_covers_programme"),
        ("core", "0001_data_keys"),
    ]

    operations = [
        *moves(
            "referrals",
            "Referral",
            "languages",
            "data_key",
            careplus.core.fields.EncryptedTextField(
                blank=True, key_field="data_key", max_chars=200, null=True, verbose_name="languages spoken"
            ),
        ),
        *moves(
            "referrals",
            "ReferralDecision",
            "redirected_to",
            "referral__data_key",
            careplus.core.fields.EncryptedTextField(
                blank=True, key_field="referral.data_key", max_chars=200, null=True, verbose_name="redirected to"
            ),
        ),
    ]
