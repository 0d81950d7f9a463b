#!/usr/bin/env bash
# The README's tour, team inside (zaanstad): steps 1-4, the resident's question and step 6.
# Run it against a started demo (`make run`, then `make tour` in another terminal).
# tests/gateway/test_tour.py runs it against a fresh server and checks every `# NNN`
# status; every command here is shown in the README, and every README tour command is here.
set -euo pipefail  # (setup)
cd "$(dirname "$0")/../.."  # (setup)

DB=.venv/bin/doelbinding
ANNA=$($DB token --sub u-anna --role team_generalist --team wt-oost --municipality zaanstad | tail -1)
HENK=$($DB token --sub u-henk --role enforcement_officer --municipality zaanstad | tail -1)
KEES=$($DB token --sub u-kees --role wi_client_manager --team wi-zaanstad --municipality zaanstad | tail -1)
SANNE=$($DB token --sub 999990019 --role resident --municipality zaanstad | tail -1)
GW=${GW:-http://127.0.0.1:8000}

curl -s $GW/v1/records/r-demo-intake -H "Authorization: Bearer $ANNA" \
     -H "X-Processing-Activity: wmo-support"                 # 200
echo  # (setup)

curl -s $GW/v1/records/r-demo-intake -H "Authorization: Bearer $HENK" \
     -H "X-Processing-Activity: pw-enforcement"              # 404 (audited: support_data_stays_in_team)
echo  # (setup)

curl -s $GW/v1/records/r-demo-health -H "Authorization: Bearer $KEES" \
     -H "X-Processing-Activity: pw-reintegration"            # 403 consent_required
CONSENT=$(curl -s -X POST $GW/v1/consents -H "Authorization: Bearer $SANNE" \
     -H 'Content-Type: application/json' \
     -d '{"categories":["health"],"processing_activities":["pw-reintegration"],"recipients":["wi-zaanstad"]}' \
     | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')                 # 201
curl -s $GW/v1/records/r-demo-health -H "Authorization: Bearer $KEES" \
     -H "X-Processing-Activity: pw-reintegration"            # 200, basis: consent
curl -s $GW/v1/me/consents -H "Authorization: Bearer $SANNE"  # 200: active, and the read it allowed
curl -s $GW/v1/consents/$CONSENT/receipt -H "Authorization: Bearer $SANNE"   # 200: Kantara receipt
curl -s -X POST $GW/v1/consents/$CONSENT/withdraw -H "Authorization: Bearer $SANNE"   # 200
curl -s $GW/v1/records/r-demo-health -H "Authorization: Bearer $KEES" \
     -H "X-Processing-Activity: pw-reintegration"            # 403 again, at once
echo  # (setup)

curl -s $GW/v1/me/access-log -H "Authorization: Bearer $SANNE" | python3 -m json.tool   # 200

SEQ=$(curl -s $GW/v1/me/access-log -H "Authorization: Bearer $SANNE" \
     | python3 -c 'import json,sys; print(json.load(sys.stdin)["entries"][0]["seq"])')   # 200
curl -s -X POST $GW/v1/me/questions -H "Authorization: Bearer $SANNE" \
     -H 'Content-Type: application/json' \
     -d "{\"entry_seq\": $SEQ, \"kind\": \"question\", \"text\": \"Waarom mocht dit?\"}"  # 201
FG=$($DB token --sub u-fg-1 --role privacy_officer --municipality zaanstad | tail -1)
curl -s "$GW/v1/questions?open=true" -H "Authorization: Bearer $FG"   # 200: the queue, no text
echo  # (setup)

BERT=$($DB token --sub u-bert --role team_generalist --team wt-west --municipality zaanstad | tail -1)
LEA=$($DB token --sub u-lea --role team_lead --municipality zaanstad | tail -1)
X=$(curl -s -X POST $GW/v1/exceptions -H "Authorization: Bearer $BERT" -H 'Content-Type: application/json' \
     -d '{"resident":"999990019","categories":["debts"],"processing_activities":["wmo-support"],"justification":"Inwoner in crisis; eigen team tot maandag afwezig.","valid_days":3}' \
     | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')   # 201
curl -s -X POST $GW/v1/exceptions/$X/approve -H "Authorization: Bearer $LEA"   # 200: active until +3 days
curl -s $GW/v1/records/r-demo-debts -H "Authorization: Bearer $BERT" \
     -H "X-Processing-Activity: wmo-support"        # 200; the audit says basis exception, review
curl -s -X POST $GW/v1/exceptions/$X/revoke -H "Authorization: Bearer $LEA"    # 200: ends it at once
echo  # (setup)
