#!/usr/bin/env python3
"""A send_stream_msg client that speaks the deskmock conformance protocol.

Standard library only. It reads one case as JSON on stdin, signs its own
UserSig v2 with the case's secret key (as Tencent's official Python library
does: zlib level 6, json.dumps with its default separators), streams the
chunks, and prints one JSON answer on stdout:

    deskmock conform -- python3 conformance/clients/python/deskmock_client.py

Policy (see conformance/README.md): a fresh random per request, a 2 s timeout
per request, retries of 20004, 20005, 141002, HTTP 5xx, dropped connections,
timeouts and unreadable replies with the same body, at most 5 attempts per
chunk with a doubling pause from 25 ms; any other code stops the stream.
"""

import base64
import hashlib
import hmac
import http.client
import json
import secrets
import socket
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib

ENDPOINT = "/v4/desk_http_svc/send_stream_msg"
REQUEST_TIMEOUT = 2.0
MAX_ATTEMPTS = 5
FIRST_PAUSE = 0.025
MAX_PAUSE = 0.4
RETRYABLE_CODES = {20004, 20005, 141002}
USERSIG_LIFETIME = 86400


def gen_usersig(sdkappid, key, identifier, expire=USERSIG_LIFETIME, now=None):
    """Returns a UserSig v2, as tls-sig-api-v2-python writes it."""
    now = int(time.time()) if now is None else now
    content = (
        "TLS.identifier:%s\nTLS.sdkappid:%d\nTLS.time:%d\nTLS.expire:%d\n"
        % (identifier, sdkappid, now, expire)
    )
    sig = base64.b64encode(
        hmac.new(key.encode("utf-8"), content.encode("utf-8"), hashlib.sha256).digest()
    ).decode("ascii")
    doc = {
        "TLS.ver": "2.0",
        "TLS.identifier": identifier,
        "TLS.sdkappid": sdkappid,
        "TLS.expire": expire,
        "TLS.time": now,
        "TLS.sig": sig,
    }
    packed = zlib.compress(json.dumps(doc).encode("utf-8"), 6)
    token = base64.b64encode(packed).decode("ascii")
    return token.replace("+", "*").replace("/", "-").replace("=", "_")


class Failure(Exception):
    """One attempt failed; code is the vendor's ErrorCode, 0 for transport."""

    def __init__(self, info, code=0, retryable=False):
        super().__init__(info)
        self.info = info
        self.code = code
        self.retryable = retryable


def post(case, usersig, body):
    """Sends one request with a fresh random and returns the reply's MsgKey."""
    query = urllib.parse.urlencode(
        [
            ("sdkappid", str(case["sdkappid"])),
            ("identifier", case["identifier"]),
            ("usersig", usersig),
            ("random", str(secrets.randbelow(2**32))),
            ("contenttype", "json"),
        ],
        safe="*-_",
    )
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    req = urllib.request.Request(
        case["base_url"] + ENDPOINT + "?" + query,
        data=data,
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=REQUEST_TIMEOUT) as resp:
            raw = resp.read()
    except urllib.error.HTTPError as e:
        raise Failure("HTTP %d" % e.code, retryable=e.code >= 500)
    except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError,
            http.client.HTTPException, OSError) as e:
        raise Failure("transport: %s" % e, retryable=True)
    try:
        reply = json.loads(raw.decode("utf-8"))
        code = int(reply["ErrorCode"])
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise Failure("the reply is not the vendor's envelope: %r" % raw[:120], retryable=True)
    if code != 0 or reply.get("ActionStatus") != "OK":
        raise Failure(reply.get("ErrorInfo", ""), code=code, retryable=code in RETRYABLE_CODES)
    return reply.get("MsgKey", "")


def send(case, usersig, body):
    """Makes the attempts of one call; returns the reply's MsgKey."""
    pause = FIRST_PAUSE
    attempt = 1
    while True:
        try:
            return post(case, usersig, body)
        except Failure as f:
            if not f.retryable or attempt >= MAX_ATTEMPTS:
                raise
        time.sleep(pause)
        pause = min(pause * 2, MAX_PAUSE)
        attempt += 1


def stream(case):
    """Streams the case's chunks as one message; returns the answer."""
    usersig = gen_usersig(case["sdkappid"], case["secret_key"], case["identifier"])
    chunks = case["chunks"]
    key = ""
    for i, chunk in enumerate(chunks):
        body = {"SessionId": case["session_id"], "Chunk": chunk}
        if key:
            body["MsgKey"] = key
        if i == len(chunks) - 1:
            body["Finish"] = 1
        try:
            got = send(case, usersig, body)
        except Failure as f:
            answer = {"ok": False, "error_info": f.info}
            if f.code:
                answer["error_code"] = f.code
            return answer
        if not key:
            key = got
    return {"ok": True, "msg_key": key}


def main():
    try:
        case = json.load(sys.stdin)
    except ValueError as e:
        print("deskmock_client: reading the case on stdin: %s" % e, file=sys.stderr)
        return 2
    answer = stream(case)
    print(json.dumps(answer, ensure_ascii=False))
    return 0 if answer["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
