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

With "version": "v2" it streams to send_stream_msg_v2, one chunk per call
(Index from 1, IsLast: true on the last), at most 5 calls in any one second
per stream; a retry answered 141004 after a lost reply means the lost
attempt was applied; a continuation answered 141004 otherwise means the
stream ended: the message is sent once more in a new stream.
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
ENDPOINT_V2 = "/v4/desk_http_svc/send_stream_msg_v2"
CALLS_PER_SECOND = 5
ILLEGAL_PARAMETERS = 141004
COMPATIBLE_TEXT = "Please upgrade to see this message."
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


def post(case, usersig, body, endpoint=ENDPOINT):
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
        case["base_url"] + endpoint + "?" + query,
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


class AppliedEarlier(Exception):
    """A v2 retry got 141004 after a lost reply: the lost attempt was applied."""


class StreamEnded(Exception):
    """A v2 continuation that was no retry got 141004: the stream ended."""

    def __init__(self, failure):
        super().__init__(failure.info)
        self.failure = failure


class Pacer:
    """Keeps one stream within CALLS_PER_SECOND calls in any one second.

    A call waits until a second has passed since the reply to the call
    CALLS_PER_SECOND calls before it, so the server's own count stays
    within the rate whatever the network's delay.
    """

    def __init__(self):
        self.recent = []

    def wait(self):
        if len(self.recent) >= CALLS_PER_SECOND:
            delay = self.recent[-CALLS_PER_SECOND] + 1.005 - time.monotonic()
            if delay > 0:
                time.sleep(delay)

    def done(self):
        self.recent = self.recent[-(CALLS_PER_SECOND - 1):] + [time.monotonic()]


def send(case, usersig, body, endpoint=ENDPOINT, pacer=None):
    """Makes the attempts of one call; returns the reply's MsgKey."""
    pause = FIRST_PAUSE
    attempt = 1
    fate_unknown = False
    while True:
        if pacer:
            pacer.wait()
        try:
            return post(case, usersig, body, endpoint)
        except Failure as f:
            if pacer and "MsgKey" in body and f.code == ILLEGAL_PARAMETERS:
                if fate_unknown:
                    raise AppliedEarlier() from f
                raise StreamEnded(f) from f
            fate_unknown = fate_unknown or f.code == 0
            if not f.retryable or attempt >= MAX_ATTEMPTS:
                raise
        finally:
            if pacer:
                pacer.done()
        time.sleep(pause)
        pause = min(pause * 2, MAX_PAUSE)
        attempt += 1


def failed(f):
    """Returns the answer that reports a Failure."""
    answer = {"ok": False, "error_info": f.info}
    if f.code:
        answer["error_code"] = f.code
    return answer


def body_v2(case, key, index, markdown, last):
    """Returns the body of a v2 call with one chunk."""
    body = {
        "SessionId": case["session_id"],
        "MsgBody": [{
            "MsgType": "TIMStreamElem",
            "MsgContent": {
                "CompatibleText": COMPATIBLE_TEXT,
                "Chunks": [{"EventType": "data", "Index": index, "Markdown": markdown, "IsLast": last}],
            },
        }],
    }
    if key:
        body["MsgKey"] = key
    return body


def message_v2(case, usersig, paused):
    """Sends the whole message once in a new v2 stream; returns the answer.

    paused[0] counts the chunks whose pause was waited, so that a stall is
    not repeated when the message is sent anew. Raises StreamEnded.
    """
    chunks = case["chunks"]
    pauses = case.get("pauses_ms") or []
    pacer = Pacer()
    key = ""
    for i, chunk in enumerate(chunks):
        if i >= paused[0]:
            if i < len(pauses) and pauses[i] > 0:
                time.sleep(pauses[i] / 1000)
            paused[0] = i + 1
        body = body_v2(case, key, i + 1, chunk, i == len(chunks) - 1)
        try:
            got = send(case, usersig, body, ENDPOINT_V2, pacer)
        except AppliedEarlier:
            continue
        except Failure as f:
            return failed(f)
        if not key:
            key = got
    return {"ok": True, "msg_key": key}


def stream_v2(case, usersig):
    """Streams on send_stream_msg_v2, once more in a new stream if it ends."""
    paused = [0]
    try:
        return message_v2(case, usersig, paused)
    except StreamEnded:
        pass
    try:
        return message_v2(case, usersig, paused)
    except StreamEnded as e:
        return failed(e.failure)


def stream(case):
    """Streams the case's chunks as one message; returns the answer."""
    usersig = gen_usersig(case["sdkappid"], case["secret_key"], case["identifier"])
    if case.get("version") == "v2":
        return stream_v2(case, usersig)
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
            return failed(f)
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
