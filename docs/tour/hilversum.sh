#!/usr/bin/env bash
# The README's tour, step 5, no teams (hilversum): start the demo with DOELBINDING_PROFILE=hilversum.
set -euo pipefail  # (setup)
cd "$(dirname "$0")/../.."  # (setup)
DB=.venv/bin/doelbinding  # (setup)
GW=${GW:-http://127.0.0.1:8000}  # (setup)

PLEIN=$($DB token --sub u-plein --role team_generalist --team sociaal-plein --municipality hilversum | tail -1)
COACH=$($DB token --sub u-coach --role wi_client_manager --municipality hilversum | tail -1)
curl -s $GW/v1/records/r-demo-hv-intake -H "Authorization: Bearer $PLEIN" \
     -H "X-Processing-Activity: wmo-support"          # 200
curl -s -X POST $GW/v1/records -H "Authorization: Bearer $COACH" \
     -H "X-Processing-Activity: pw-reintegration" -H 'Content-Type: application/json' \
     -d '{"resident":"999990019","category":"reintegration_plan","team":"werkervaring-hilversum","content":"x"}'   # 403 no_dossier
curl -s -X POST $GW/v1/aggregates/counts -H "Authorization: Bearer $COACH" \
     -H "X-Processing-Activity: statistics" -H 'Content-Type: application/json' \
     -d '{"unit":"werkervaring-hilversum","processing_activity":"pw-reintegration","period":"2025-06","count":14}'   # 201: counts only, no resident field at all
echo  # (setup)
