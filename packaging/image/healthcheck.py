#!/usr/bin/python3
"""packaging/image/healthcheck.py: the container image's HEALTHCHECK command (runs inside
the RustStack container, started by the engine). Healthy (exit 0) when
GET /_ruststack/health answers 200 and no service is "starting" or "unavailable"
(a service turned off reads "disabled" and is fine); otherwise exit 1 with the reason.
The port is RUSTSTACK_PORT when set, else 4566."""
import json
import os
import sys
import urllib.request

port = os.environ.get("RUSTSTACK_PORT", "4566")
try:
    with urllib.request.urlopen("http://127.0.0.1:%s/_ruststack/health" % port,
                                timeout=2) as r:
        doc = json.load(r)
except Exception as e:  # refused, timeout, not JSON: not healthy yet
    print("unhealthy: %s" % e)
    sys.exit(1)
bad = ["%s %s%s" % (name, s.get("state"), ": " + s["reason"] if s.get("reason") else "")
       for name, s in sorted(doc.get("services", {}).items())
       if s.get("state") not in ("running", "disabled")]
if bad:
    print("unhealthy: " + "; ".join(bad))
    sys.exit(1)
print("healthy")
