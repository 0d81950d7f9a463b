#!/usr/bin/env bash
# The README's tour, step 5, regional (kromme-rijn-heuvelland): start the demo with
# DOELBINDING_PROFILE=kromme-rijn-heuvelland.
set -euo pipefail  # (setup)
cd "$(dirname "$0")/../.."  # (setup)
DB=.venv/bin/doelbinding  # (setup)
GW=${GW:-http://127.0.0.1:8000}  # (setup)

RSD=$($DB token --sub u-rsd --role wi_client_manager --municipality zeist --org rsd-krh | tail -1)
ZEIST=$($DB token --sub u-zeist --role team_generalist --team wt-zeist-noord --municipality zeist | tail -1)
curl -s $GW/v1/records/r-demo-krh-income -H "Authorization: Bearer $RSD" \
     -H "X-Processing-Activity: pw-benefit"           # 200, municipality bunnik
curl -s $GW/v1/records/r-demo-krh-notes -H "Authorization: Bearer $RSD" \
     -H "X-Processing-Activity: pw-reintegration"     # 404 (audited: outside_regional_service)
curl -s $GW/v1/records/r-demo-krh-notes -H "Authorization: Bearer $ZEIST" \
     -H "X-Processing-Activity: wmo-support"          # 404 (audited: other_municipality)
echo  # (setup)
