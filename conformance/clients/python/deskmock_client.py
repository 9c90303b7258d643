#!/usr/bin/env python3
"""A streaming client that speaks the deskmock conformance protocol.

Standard library only. It reads one case as JSON on stdin, signs its own
UserSig v2 with the case's secret key (as Tencent's official Python library
does: zlib level 6, json.dumps with its default separators), streams the
chunks, and prints one JSON answer on stdout:

    deskmock conform -- python3 conformance/clients/python/deskmock_client.py

Policy (see conformance/README.md): a fresh random per request, a 2 s timeout
per request, retries of 10002, 20004, 20005, 141002, HTTP 5xx, dropped
connections, timeouts and unreadable replies with the same body, at most 5
attempts per chunk with a doubling pause from 25 ms; any other code stops the
stream.

"version" names the endpoint (ENDPOINTS): v1 send_stream_msg (the
default), v2 send_stream_msg_v2, c2c send_c2c_stream_msg, group
send_group_stream_msg, chatbot openim_robot_http_svc/send_stream_msg (v1's
Chunk and Finish from the chatbot given as from_account). On v2, c2c and
group it sends one TIMStreamElem chunk per call (Index from 1, IsLast: true
on the last), at most 5 calls in any one second per stream; a retry answered
the endpoint's ended code (v2: 141004, c2c and group: 90010) after a lost
reply means the lost attempt was applied; a continuation answered it
otherwise means the stream ended: the message is sent once more in a new
stream. On c2c and group the stream's key is the StreamMsgID, carried in
MsgContent; From_Account is sent only when the case gives one.

On Desk, "then" lists calls (CALLS) to make after the stream, whatever its
outcome, each with {"SessionId": session_id} and retried like a chunk:
transfer_to_human, reported with its AgentId and IsInQueue, and
get_session_state, reported with its CurrentState, in the answer's "then".
With no chunks the calls are made instead of a stream. A 141005 (the
session ended or left the bot) stops the stream like any final code.
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

# What differs between the endpoints: the path, the body fields that name
# the conversation (body name, case name, optional), the stream key's name
# and whether later calls carry it in MsgContent, whether the body is a
# TIMStreamElem with indexed chunks, and the code that refuses a
# continuation of an ended stream or a held Index.
SESSION = ("SessionId", "session_id", False)
FROM = ("From_Account", "from_account", True)
TO = ("To_Account", "to_account", False)
ROBOT = ("From_Account", "from_account", False)  # the chatbot: always sent
ENDPOINTS = {
    "v1": {"path": "/v4/desk_http_svc/send_stream_msg", "conversation": [SESSION],
           "key": "MsgKey", "key_in_content": False, "indexed": False, "ended_code": 0},
    "v2": {"path": "/v4/desk_http_svc/send_stream_msg_v2", "conversation": [SESSION],
           "key": "MsgKey", "key_in_content": False, "indexed": True, "ended_code": 141004},
    "c2c": {"path": "/v4/stream_msg/send_c2c_stream_msg",
            "conversation": [FROM, TO],
            "key": "StreamMsgID", "key_in_content": True, "indexed": True, "ended_code": 90010},
    "group": {"path": "/v4/stream_msg/send_group_stream_msg",
              "conversation": [("GroupId", "group_id", False), FROM],
              "key": "StreamMsgID", "key_in_content": True, "indexed": True, "ended_code": 90010},
    "chatbot": {"path": "/v4/openim_robot_http_svc/send_stream_msg",
                "conversation": [ROBOT, TO],
                "key": "MsgKey", "key_in_content": False, "indexed": False, "ended_code": 0},
}
# The Desk calls a case's "then" may name: their paths.
CALLS = {
    "transfer_to_human": {"path": "/v4/desk_http_svc/transfer_to_human"},
    "get_session_state": {"path": "/v4/desk_http_svc/get_session_state"},
}
CALLS_PER_SECOND = 5
COMPATIBLE_TEXT = "Please upgrade to see this message."
REQUEST_TIMEOUT = 2.0
MAX_ATTEMPTS = 5
FIRST_PAUSE = 0.025
MAX_PAUSE = 0.4
RETRYABLE_CODES = {10002, 20004, 20005, 141002}
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


def post(case, usersig, body, endpoint):
    """Sends one request with a fresh random and returns the reply, a dict."""
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
        case["base_url"] + endpoint["path"] + "?" + query,
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
    return reply


class AppliedEarlier(Exception):
    """An indexed retry got the ended code after a lost reply: it was applied."""


class StreamEnded(Exception):
    """An indexed continuation that was no retry got the ended code."""

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


def send(case, usersig, body, endpoint, pacer=None, continuation=False):
    """Makes the attempts of one call; returns the reply, a dict.

    continuation is true for an indexed call that carries the stream's key.
    """
    pause = FIRST_PAUSE
    attempt = 1
    fate_unknown = False
    while True:
        if pacer:
            pacer.wait()
        try:
            return post(case, usersig, body, endpoint)
        except Failure as f:
            if continuation and f.code == endpoint["ended_code"]:
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


def conversation(case, endpoint):
    """Returns the body fields that name the conversation, in body order."""
    body = {}
    for wire, name, optional in endpoint["conversation"]:
        value = case.get(name) or ""
        if value or not optional:
            body[wire] = value
    return body


def body_indexed(case, endpoint, key, index, markdown, last):
    """Returns the body of an indexed call with one chunk."""
    body = conversation(case, endpoint)
    content = {"CompatibleText": COMPATIBLE_TEXT}
    if key and endpoint["key_in_content"]:
        content[endpoint["key"]] = key
    elif key:
        body[endpoint["key"]] = key
    content["Chunks"] = [{"EventType": "data", "Index": index, "Markdown": markdown, "IsLast": last}]
    body["MsgBody"] = [{"MsgType": "TIMStreamElem", "MsgContent": content}]
    return body


def message_indexed(case, endpoint, usersig, paused):
    """Sends the whole message once in a new indexed stream; returns the answer.

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
        body = body_indexed(case, endpoint, key, i + 1, chunk, i == len(chunks) - 1)
        try:
            got = send(case, usersig, body, endpoint, pacer, continuation=bool(key)).get(endpoint["key"], "")
        except AppliedEarlier:
            continue
        except Failure as f:
            return failed(f)
        if not key:
            key = got
    return {"ok": True, "msg_key": key}


def stream_indexed(case, endpoint, usersig):
    """Streams on an indexed endpoint, once more in a new stream if it ends."""
    paused = [0]
    try:
        return message_indexed(case, endpoint, usersig, paused)
    except StreamEnded:
        pass
    try:
        return message_indexed(case, endpoint, usersig, paused)
    except StreamEnded as e:
        return failed(e.failure)


def desk_call(case, usersig, name):
    """Makes one Desk call of the case's "then"; returns what it answered."""
    call = CALLS.get(name)
    if call is None:
        return {"call": name, "ok": False, "error_info": "no Desk call is named %r" % name}
    endpoint = {"path": call["path"], "ended_code": 0}
    try:
        reply = send(case, usersig, {"SessionId": case.get("session_id") or ""}, endpoint)
    except Failure as f:
        return dict(failed(f), call=name)
    answer = {"call": name, "ok": True}
    if name == "transfer_to_human":
        answer["agent_id"] = reply.get("AgentId", "")
        answer["is_in_queue"] = reply.get("IsInQueue") == 1
    else:
        answer["current_state"] = reply.get("CurrentState", "")
    return answer


def run(case):
    """Streams the case's chunks, then makes its Desk calls; returns the answer."""
    endpoint = ENDPOINTS.get(case.get("version") or "v1")
    if endpoint is None:
        return {"ok": False, "error_info": "version %r names no endpoint" % case.get("version")}
    usersig = gen_usersig(case["sdkappid"], case["secret_key"], case["identifier"])
    then = case.get("then") or []
    answer = stream(case, endpoint, usersig) if case["chunks"] or not then else {"ok": True}
    if then:
        answer["then"] = [desk_call(case, usersig, name) for name in then]
    return answer


def stream(case, endpoint, usersig):
    """Streams the case's chunks as one message; returns the answer."""
    if endpoint["indexed"]:
        return stream_indexed(case, endpoint, usersig)
    chunks = case["chunks"]
    pauses = case.get("pauses_ms") or []
    key = ""
    for i, chunk in enumerate(chunks):
        if i < len(pauses) and pauses[i] > 0:
            time.sleep(pauses[i] / 1000)
        body = conversation(case, endpoint)
        body["Chunk"] = chunk
        if key:
            body[endpoint["key"]] = key
        if i == len(chunks) - 1:
            body["Finish"] = 1
        try:
            got = send(case, usersig, body, endpoint).get(endpoint["key"], "")
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
    answer = run(case)
    print(json.dumps(answer, ensure_ascii=False))
    return 0 if answer["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
