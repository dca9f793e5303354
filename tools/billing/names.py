"""Names the billing package shares without importing Ibis: the source name and the query dimensions.

The tool specs and input models need them at start; the query modules re-export them.
"""

from __future__ import annotations

SOURCE = "billing"

DIMENSIONS: dict[str, str] = {
    "provider": "ProviderName",
    "service": "ServiceName",
    "service_category": "ServiceCategory",
    "resource": "ResourceId",
    "sub_account": "SubAccountId",
    "region": "RegionId",
    "charge_category": "ChargeCategory",
    "sku": "SkuId",
    "day": "ChargePeriodStart",
}
DIMENSION_HELP = ", ".join([*DIMENSIONS, "tag:<key>"])
