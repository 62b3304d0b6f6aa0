#!/usr/bin/env bash
# speerd's API with curl (mTLS). Set the three files and the address:
#   CERT=sbe.crt KEY=sbe.key CA=speerd-ca.crt SPEERD=https://127.0.0.1:5443 conf/curl-examples.sh
set -euo pipefail
: "${CERT:?client certificate}" "${KEY:?client key}" "${CA:?CA of the server certificate}"
SPEERD=${SPEERD:-https://127.0.0.1:5443}
tls=(--cert "$CERT" --key "$KEY" --cacert "$CA" --tlsv1.3 --http1.1 --silent --show-error)

echo "# one number (a '+' needs no escaping)"
curl "${tls[@]}" "$SPEERD/v1/lookup?number=+12155551234&service=E2U+sip"
echo
echo "# compact, for an SBE with UDP and TCP only: verdict, uri, usable targets ([IPv6]), outcome, age"
curl "${tls[@]}" "$SPEERD/v1/lookup?number=+12155551234&view=compact&transport=udp,tcp&max_targets=2"
echo
echo "# a SIP URI (LRF only)"
curl "${tls[@]}" "$SPEERD/v1/route?uri=sip:alice@good.peers.example"
echo
echo "# a batch"
curl "${tls[@]}" -H 'Content-Type: application/json' \
  --data '{"numbers":["+12155551234","+12155559999"],"service":"E2U+sip"}' "$SPEERD/v1/lookup"
echo
echo "# a batch, compact and UDP only (the same options as the GETs)"
curl "${tls[@]}" -H 'Content-Type: application/json' \
  --data '{"numbers":["+12155551234","+12155551299"],"view":"compact","transport":"udp"}' \
  "$SPEERD/v1/lookup"
echo
echo "# a number without '+' and no dial plan for this client: 400 bad-number (SIP 484)"
curl "${tls[@]}" "$SPEERD/v1/lookup?number=12155551234" -w ' %{http_code}\n'
echo
echo "# keep-alive: several requests on one connection"
curl "${tls[@]}" "$SPEERD/v1/lookup?number=+12155551234" -o /dev/null -w '%{http_code} %{time_total}s\n' \
  "$SPEERD/v1/lookup?number=+12155551234" -o /dev/null -w '%{http_code} %{time_total}s (reused)\n'
echo "# admin listener (loopback, plain HTTP)"
curl --silent http://127.0.0.1:9153/readyz
echo
