#!/usr/bin/env bash
# The README's tour, step 5, W&I first (haarlem): start the demo with DOELBINDING_PROFILE=haarlem.
set -euo pipefail  # (setup)
cd "$(dirname "$0")/../.."  # (setup)
DB=.venv/bin/doelbinding  # (setup)
GW=${GW:-http://127.0.0.1:8000}  # (setup)

DWI=$($DB token --sub u-dwi --role wi_client_manager --team dwi-haarlem --municipality haarlem | tail -1)
WIT=$($DB token --sub u-wit --role team_wi_specialist --team swt-schalkwijk --municipality haarlem | tail -1)
curl -s $GW/v1/records/r-demo-hl-signal -H "Authorization: Bearer $DWI" \
     -H "X-Processing-Activity: pw-reintegration"     # 403 consent_required
curl -s $GW/v1/records/r-demo-hl-income -H "Authorization: Bearer $WIT" \
     -H "X-Processing-Activity: pw-reintegration"     # 200, basis: law (Participatiewet art. 7)
curl -s $GW/v1/records/r-demo-hl-income -H "Authorization: Bearer $WIT" \
     -H "X-Processing-Activity: pw-enforcement"       # 403 no_mandate
echo  # (setup)
