#!/usr/bin/env python3
"""A small Desk bot, standard library only, that passes deskmock's bot cases.

Desk POSTs it a Desk.SessionEventNotify callback for every event of a
session. It checks the callback (SdkAppid, and with a token Sign and a
RequestTime within 60 s), acknowledges it at once, remembers the RequestIDs
it has seen (a retried callback repeats its RequestID), and answers each
ChatBot.UserSendMsg by streaming a reply into the session on send_stream_msg
(v1) or send_stream_msg_v2 (v2), in a thread of its own. A 141005 means the
session ended or went to a human: it stops there.

Configuration, from the environment (deskmock conform --bot sets it):
DESKMOCK_BASE_URL (the REST base: https://console.tim.qq.com in production),
DESKMOCK_SDKAPPID, DESKMOCK_IDENTIFIER, DESKMOCK_USERSIG,
DESKMOCK_CALLBACK_TOKEN, DESKMOCK_VERSION (v1 or v2) and PORT.

    deskmock conform --bot -- python3 conformance/bots/python/deskmock_bot.py
"""

import collections
import hashlib
import hmac
import http.server
import json
import os
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

BASE_URL = os.environ["DESKMOCK_BASE_URL"]
SDKAPPID = os.environ["DESKMOCK_SDKAPPID"]
IDENTIFIER = os.environ["DESKMOCK_IDENTIFIER"]
USERSIG = os.environ["DESKMOCK_USERSIG"]
TOKEN = os.environ.get("DESKMOCK_CALLBACK_TOKEN", "")
VERSION = os.environ.get("DESKMOCK_VERSION", "v1")
PORT = int(os.environ["PORT"])

PATHS = {"v1": "/v4/desk_http_svc/send_stream_msg", "v2": "/v4/desk_http_svc/send_stream_msg_v2"}
SESSION_GONE = 141005  # the session ended, or went to a human: stop
RETRYABLE = {10002, 20004, 20005, 141002}
SIGN_WINDOW = 60  # seconds
ACK = b'{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}'

seen = collections.OrderedDict()  # RequestID -> time first seen, oldest first
seen_lock = threading.Lock()


def verify(query):
    """Returns why a callback is not to be trusted, or None."""
    if query.get("SdkAppid") != SDKAPPID:
        return "SdkAppid is not this bot's app"
    if not TOKEN:
        return None
    request_time = query.get("RequestTime", "")
    sign = hashlib.sha256((TOKEN + request_time).encode()).hexdigest()
    if not hmac.compare_digest(sign, query.get("Sign", "")):
        return "Sign does not match"
    if not request_time.isdigit() or abs(time.time() - int(request_time)) > SIGN_WINDOW:
        return "RequestTime is outside the minute"
    return None


def first_time(request_id):
    """Remembers a RequestID; False when it was seen (a retried callback)."""
    now = time.time()
    with seen_lock:
        while seen and (len(seen) > 10000 or now - next(iter(seen.values())) > 600):
            seen.popitem(last=False)
        if request_id in seen:
            return False
        seen[request_id] = now
        return True


class Refused(Exception):
    def __init__(self, code, retryable):
        super().__init__(code)
        self.code, self.retryable = code, retryable


def post(body):
    """POSTs one stream call and returns the reply; raises Refused."""
    query = urllib.parse.urlencode({"sdkappid": SDKAPPID, "identifier": IDENTIFIER, "usersig": USERSIG,
                                    "random": secrets.randbelow(2**32), "contenttype": "json"})
    req = urllib.request.Request(BASE_URL + PATHS[VERSION] + "?" + query, method="POST",
                                 data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=2) as resp:
            reply = json.loads(resp.read())
    except urllib.error.HTTPError as e:
        raise Refused(0, e.code >= 500)
    except (OSError, ValueError):
        raise Refused(0, True)
    code = reply.get("ErrorCode")
    if code != 0:
        raise Refused(code, code in RETRYABLE)
    return reply


def send(body):
    """Makes up to 3 attempts of one call, pausing between them."""
    for attempt in range(3):
        try:
            return post(body)
        except Refused as e:
            if not e.retryable or attempt == 2:
                raise
            time.sleep(0.1 * (attempt + 1))


def answer(session_id, text):
    """Streams the reply to a user's text into the session."""
    chunks = ["You said: ", text, ". Anything else?"]
    key = None
    try:
        for i, chunk in enumerate(chunks):
            last = i == len(chunks) - 1
            body = {"SessionId": session_id}
            if key:
                body["MsgKey"] = key
            if VERSION == "v1":
                body["Chunk"] = chunk
                if last:
                    body["Finish"] = 1
            else:
                body["MsgBody"] = [{"MsgType": "TIMStreamElem", "MsgContent": {
                    "CompatibleText": "Please upgrade to see this message.",
                    "Chunks": [{"EventType": "data", "Index": i + 1, "Markdown": chunk, "IsLast": last}]}}]
            reply = send(body)
            key = key or reply.get("MsgKey")
            if VERSION == "v2" and not last:
                time.sleep(0.21)  # v2: at most 5 calls a second per stream
    except Refused as e:
        if e.code != SESSION_GONE:
            print("answer to %s failed: %s" % (session_id, e.code), flush=True)


class Bot(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Desk's client uses

    def do_POST(self):
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        why = verify(query)
        if why:
            return self.reply(403, json.dumps({"ActionStatus": "FAIL", "ErrorInfo": why, "ErrorCode": 403}).encode())
        try:
            event = json.loads(raw)
        except ValueError:
            return self.reply(400, b'{"ActionStatus":"FAIL","ErrorInfo":"not JSON","ErrorCode":400}')
        if (first_time(query.get("RequestID", "")) and event.get("CallbackCommand") == "Desk.SessionEventNotify"
                and event.get("Event") == "ChatBot.UserSendMsg"):
            text = "".join(el.get("MsgContent", {}).get("Text", "") for el in event.get("MsgBody") or [])
            threading.Thread(target=answer, args=(event["SessionId"], text), daemon=True).start()
        self.reply(200, ACK)  # at once: Desk waits 2 s at most

    def reply(self, status, body):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Bot).serve_forever()
